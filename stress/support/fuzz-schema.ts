import fc from "fast-check";

/** The subset of JSON Schema (as TypeBox writes it into the OpenAPI document) the fuzzer reads. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
}

/**
 * Raw JSON tokens a JavaScript value cannot carry (1e999 parses to Infinity, 30-digit integers
 * lose precision, deep nesting): the generator puts these marker strings in, and `toJsonText`
 * swaps them for the raw token after JSON.stringify.
 */
export const RAW_TOKENS: Record<string, string> = {
  "\u0001RAW:huge\u0001": "1e999",
  "\u0001RAW:-huge\u0001": "-1e999",
  "\u0001RAW:digits\u0001": "123456789012345678901234567890123456789",
  "\u0001RAW:tiny\u0001": "1e-400",
  "\u0001RAW:-zero\u0001": "-0",
  "\u0001RAW:deep\u0001": `${"[".repeat(5000)}${"]".repeat(5000)}`,
  "\u0001RAW:deepobj\u0001": `${'{"a":'.repeat(3000)}1${"}".repeat(3000)}`,
};

/** JSON text of a generated value, with raw-token markers replaced by their raw JSON. */
export function toJsonText(value: unknown): string {
  let text = JSON.stringify(value) ?? "null";
  for (const [marker, raw] of Object.entries(RAW_TOKENS)) {
    const quoted = JSON.stringify(marker);
    if (text.includes(quoted)) text = text.split(quoted).join(raw);
  }
  return text;
}

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "\u202e\u0041\u0042",
  "\ud800",
  "\udfff\ud800",
  "😀".repeat(64),
  "Z\u0351\u0360\u035b".repeat(20),
  "../../../../etc/passwd",
  "..%2F..%2F..%2Fetc%2Fpasswd",
  "' OR '1'='1' --",
  "1; DROP TABLE agx_principals; --",
  "\r\nX-Injected: yes",
  "<script>alert(1)</script>",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, as text on purpose.
  "${jndi:ldap://x}",
  "__proto__",
  "constructor",
  "%00",
  "NaN",
  "Infinity",
  "-1",
  "0x10",
  "1e309",
  "9".repeat(400),
  "true",
  "null",
  "sk_agx_0000000000000000000000000000000000000000000",
  "http://169.254.169.254/latest/meta-data/",
  "file:///etc/passwd",
  "javascript:alert(1)",
];

const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  0.1,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  2 ** 63,
  2 ** 64,
  1e21,
];

const nastyString = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.nat({ max: 300_000 }).map((n) => "x".repeat(n)),
);

/** A value of any JSON type (the "wrong type" pool). */
const anyJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(...NASTY_NUMBERS),
  nastyString,
  fc.constantFrom(...Object.keys(RAW_TOKENS)),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 3 }),
);

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  if (schema.properties) return ["object"];
  if (schema.items) return ["array"];
  return [];
}

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? 40, 200));
  if (s.pattern) {
    try {
      return fc
        .stringMatching(new RegExp(s.pattern))
        .map((x) => (s.maxLength !== undefined && x.length > s.maxLength ? x.slice(0, max) : x));
    } catch {
      // a pattern fast-check cannot invert: plain text of the right length
    }
  }
  if (s.format === "uri") return fc.webUrl();
  if (s.format === "date-time") {
    return fc
      .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  return fc.string({ minLength: min, maxLength: max });
}

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000);
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
  if (integer) {
    const [a, b] = [Math.ceil(lo), Math.floor(hi)];
    return b >= a ? fc.integer({ min: a, max: Math.min(b, 2 ** 31) }) : fc.constant(a);
  }
  return fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
}

/** Values meant to pass the schema (as far as fast-check can invert its patterns). */
export function validArb(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  return nodeArb(schema, depth, 0);
}

/** Mostly-valid values with, at each node, a chance of a hostile replacement. */
export function fuzzArb(schema: JsonSchema, hostility: number, depth = 0): fc.Arbitrary<unknown> {
  return nodeArb(schema, depth, hostility);
}

function nodeArb(schema: JsonSchema, depth: number, hostility: number): fc.Arbitrary<unknown> {
  const valid = shapeArb(schema, depth, hostility);
  if (hostility <= 0) return valid;
  const weight = Math.max(1, Math.round(hostility * 100));
  return fc.oneof(
    { weight: Math.max(1, 100 - weight), arbitrary: valid },
    { weight, arbitrary: hostileArb(schema) },
  );
}

function shapeArb(schema: JsonSchema, depth: number, h: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches && branches.length > 0) {
    return fc.oneof(...branches.map((b) => nodeArb(b, depth + 1, h)));
  }
  if (schema.allOf && schema.allOf.length > 0) {
    return nodeArb(Object.assign({}, ...schema.allOf) as JsonSchema, depth, h);
  }
  const types = typesOf(schema);
  if (types.length === 0) return depth > 3 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(...types.map((t) => typedArb(schema, t, depth, h)));
}

function typedArb(s: JsonSchema, type: string, depth: number, h: number): fc.Arbitrary<unknown> {
  switch (type) {
    case "string":
      return stringArb(s);
    case "integer":
      return numberArb(s, true);
    case "number":
      return numberArb(s, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const min = s.minItems ?? 0;
      const max = Math.max(min, Math.min(s.maxItems ?? 4, 6));
      if (depth > 6) return fc.constant([]);
      const item = s.items ? nodeArb(s.items, depth + 1, h) : fc.jsonValue({ maxDepth: 1 });
      return fc.array(item, { minLength: min, maxLength: max });
    }
    case "object":
      return objectArb(s, depth, h);
    default:
      return fc.constant(null);
  }
}

function objectArb(s: JsonSchema, depth: number, h: number): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant({});
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(props)) shape[name] = nodeArb(sub, depth + 1, h);
  const optional = Object.keys(props).filter((k) => !required.has(k));
  const base = fc.record(shape, { requiredKeys: [...required].filter((k) => k in props) });
  const extraValues =
    s.additionalProperties && typeof s.additionalProperties === "object"
      ? nodeArb(s.additionalProperties, depth + 1, h)
      : fc.jsonValue({ maxDepth: 1 });
  const open = s.additionalProperties !== false || h > 0;
  const extras = open
    ? fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), extraValues, { maxKeys: 3 })
    : fc.constant({});
  return fc
    .tuple(base, h > 0 || optional.length === 0 ? extras : fc.constant({}))
    .map(([b, e]) => ({ ...(b as object), ...(e as object) }));
}

/** Boundary and wrong-type values for a schema node. */
export function hostileArb(s: JsonSchema): fc.Arbitrary<unknown> {
  const pool: fc.Arbitrary<unknown>[] = [anyJson];
  const types = typesOf(s);
  if (types.includes("string")) {
    const min = s.minLength ?? 0;
    if (min > 0) pool.push(fc.constant("a".repeat(min - 1)));
    if (s.maxLength !== undefined) pool.push(fc.constant("a".repeat(s.maxLength + 1)));
    pool.push(nastyString);
  }
  if (types.includes("integer") || types.includes("number")) {
    if (s.minimum !== undefined) pool.push(fc.constantFrom(s.minimum - 1, s.minimum - 0.5));
    if (s.maximum !== undefined) pool.push(fc.constantFrom(s.maximum + 1, s.maximum + 0.5));
    pool.push(fc.constantFrom(...NASTY_NUMBERS), fc.constantFrom(...Object.keys(RAW_TOKENS)));
  }
  if (types.includes("array")) {
    const n = (s.maxItems ?? 50) + 1;
    pool.push(fc.constant(Array.from({ length: Math.min(n, 5_000) }, () => "a")));
  }
  if (types.includes("object")) {
    pool.push(
      fc.constant(JSON.parse('{"__proto__":{"admin":true}}')),
      fc.constant({ constructor: { prototype: { admin: true } } }),
      fc.constant("\u0001RAW:deepobj\u0001"),
    );
  }
  return fc.oneof(...pool);
}
