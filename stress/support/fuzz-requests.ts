import fc from "fast-check";
import { fuzzArb, type JsonSchema, toJsonText, validArb } from "./fuzz-schema.ts";

/** One operation of the OpenAPI document, as the fuzzer and the authorization matrix see it. */
export interface Operation {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The OpenAPI path template, `/api/v1/machines/{id}`. */
  path: string;
  params: {
    name: string;
    in: "path" | "query" | "header";
    required: boolean;
    schema: JsonSchema;
  }[];
  body: JsonSchema | null;
  /** Security requirements as documented (empty: public). */
  security: string[];
}

/** Every operation of an OpenAPI 3.1 document. */
export function operationsOf(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(ops)) {
      const op = raw as {
        parameters?: Operation["params"];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        security?: Record<string, unknown>[];
      };
      out.push({
        method: method.toUpperCase() as Operation["method"],
        path,
        params: (op.parameters ?? []).map((p) => ({ ...p, required: p.required === true })),
        body: op.requestBody?.content?.["application/json"]?.schema ?? null,
        security: (op.security ?? []).flatMap((s) => Object.keys(s)),
      });
    }
  }
  return out;
}

/** A request as the injector sends it: the body is raw text so that it can be malformed. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  /** The operation it was made from (or `raw`). */
  op: string;
}

/** What the fuzzer knows about the live hub: credentials and ids seen in its answers. */
export interface FuzzPools {
  keys: { admin: string; write: string; read: string; revoked: string };
  pairingToken: string | null;
  /** Ids by prefix (`mach`, `ord` …), harvested from responses and seeded by the world. */
  ids: Map<string, string[]>;
}

const PATH_ATTACKS = [
  "..",
  "%2e%2e",
  "..%2f..%2f..%2fetc%2fpasswd",
  "%2e%2e%2f%2e%2e%2fapi%2fv1%2fadmin%2fledger%2fverify",
  "%00",
  "%ZZ",
  "%",
  "%c0%ae%c0%ae",
  "%ff%fe",
  "a".repeat(300),
  "%F0%9F%98%80",
  "null",
  "undefined",
  "0",
  "-1",
  "__proto__",
  "%0d%0aX-Injected:%20yes",
  "%3Cscript%3E",
];

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/problem+json",
  "text/plain",
  "text/html",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/octet-stream",
  "application/jsonx",
  ";;;",
  "application/json;;;;q=x",
];

/** The pattern prefix of an id parameter, `^mach_[0-9a-z]{26}$` → `mach`. */
function idPrefixOf(schema: JsonSchema): string | null {
  const m = /^\^\(?([a-z]{2,6})_/.exec(schema.pattern ?? "");
  return m?.[1] ?? null;
}

function anyKnownId(pools: FuzzPools): fc.Arbitrary<string> {
  const all = [...pools.ids.values()].flat();
  return all.length > 0 ? fc.constantFrom(...all) : fc.constant("ord_00000000000000000000000000");
}

function pathValue(p: Operation["params"][number], pools: FuzzPools): fc.Arbitrary<string> {
  const prefix = idPrefixOf(p.schema);
  const known = prefix ? (pools.ids.get(prefix) ?? []) : [];
  const choices: { weight: number; arbitrary: fc.Arbitrary<string> }[] = [
    { weight: 3, arbitrary: validArb(p.schema).map((v) => encode(String(v))) },
    { weight: 2, arbitrary: anyKnownId(pools) },
    { weight: 2, arbitrary: fc.constantFrom(...PATH_ATTACKS) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map((s) => encode(s)),
    },
  ];
  if (known.length > 0) choices.push({ weight: 6, arbitrary: fc.constantFrom(...known) });
  return fc.oneof(...choices);
}

/** encodeURIComponent that survives lone surrogates (they become U+FFFD). */
function encode(text: string): string {
  return encodeURIComponent(
    text.replace(/[\uD800-\uDFFF]/g, (c, i: number, all: string) => {
      const code = c.charCodeAt(0);
      const next = all.charCodeAt(i + 1);
      const prev = all.charCodeAt(i - 1);
      const paired =
        (code < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) ||
        (code >= 0xdc00 && prev >= 0xd800 && prev < 0xdc00);
      return paired ? c : "\uFFFD";
    }),
  );
}

function queryText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function queryArb(op: Operation, h: number): fc.Arbitrary<string> {
  const params = op.params.filter((p) => p.in === "query");
  const parts = params.map((p) =>
    fc.option(
      fuzzArb(p.schema, h).map((v) => `${p.name}=${encode(queryText(v))}`),
      { nil: "", freq: 2 },
    ),
  );
  const extra = fc.oneof(
    { weight: 8, arbitrary: fc.constant("") },
    { weight: 1, arbitrary: fc.constant("limit=1&limit=2&limit=%00") },
    { weight: 1, arbitrary: fc.constant("__proto__[admin]=1&constructor[prototype]=x") },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => encode(s)) },
  );
  return fc.tuple(fc.tuple(...parts), extra).map(([ps, e]) => {
    const q = [...ps, e].filter((x) => x !== "").join("&");
    return q === "" ? "" : `?${q}`;
  });
}

function authArb(op: Operation, pools: FuzzPools): fc.Arbitrary<Record<string, string>> {
  const k = pools.keys;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const choices: fc.Arbitrary<Record<string, string>>[] = [
    fc.constant({}),
    fc.constant(bearer(k.write)),
    fc.constant(bearer(k.write)),
    fc.constant(bearer(k.read)),
    fc.constant(bearer(k.admin)),
    fc.constant(bearer(k.revoked)),
    fc.constant({ authorization: `DPoP ${k.write}` }),
    fc.constant({ authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }),
    fc.constant({ authorization: "Bearer" }),
    fc.constant(bearer(`${k.write.slice(0, -1)}x`)),
    fc.string({ maxLength: 80 }).map((s) => ({ authorization: `Bearer ${s}` })),
  ];
  if (pools.pairingToken && op.security.includes("agentPairingToken")) {
    choices.push(fc.constant({ "x-agent-pairing-token": pools.pairingToken }));
  }
  if (pools.pairingToken) {
    choices.push(
      fc.constant({ "x-agent-pairing-token": `${pools.pairingToken.slice(0, -2)}AA` }),
      fc.constant({ "x-agent-pairing-token": "eyJhbGciOiJub25lIn0.eyJtYWNoaW5lSWQiOiJ4In0." }),
    );
  }
  return fc.oneof(...choices);
}

const HEADER_SAFE = /^[\t\x20-\x7e]*$/;

function extraHeadersArb(): fc.Arbitrary<Record<string, string>> {
  const value = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.constant("a".repeat(8000)),
    fc.base64String({ maxLength: 400 }),
    fc.constant(Buffer.from('{"x402Version":2,"payload":{}}').toString("base64")),
  );
  const named = (name: string) =>
    fc.option(
      value.map((v) => [name, v] as const),
      { freq: 4 },
    );
  return fc
    .tuple(
      named("idempotency-key"),
      named("payment-signature"),
      named("x-payment"),
      named("dpop"),
      named("x-request-id"),
      named("prefer"),
      named("last-event-id"),
      named("x-forwarded-for"),
    )
    .map((pairs) => {
      const out: Record<string, string> = {};
      for (const p of pairs) if (p && HEADER_SAFE.test(p[1])) out[p[0]] = p[1];
      return out;
    });
}

function bodyArb(op: Operation, h: number): fc.Arbitrary<string | undefined> {
  const garbage = fc.oneof(
    fc.constant("{"),
    fc.constant('{"a":1,"a":2}'),
    fc.constant("[]"),
    fc.constant("null"),
    fc.constant('"text"'),
    fc.constant("1e999"),
    fc.constant(`${"[".repeat(20_000)}${"]".repeat(20_000)}`),
    fc.constant('{"__proto__":{"x":1}}'),
    fc.constant('{"constructor":{"prototype":{"x":1}}}'),
    fc.string({ unit: "binary", maxLength: 200 }),
  );
  const generated = op.body ? fuzzArb(op.body, h).map(toJsonText) : fc.jsonValue().map(toJsonText);
  return fc.oneof(
    { weight: op.body ? 12 : 2, arbitrary: generated },
    { weight: 2, arbitrary: garbage },
    { weight: op.body ? 1 : 6, arbitrary: fc.constant(undefined) },
  );
}

/** A request for one operation: path, query, credentials, headers and body, all fuzzed. */
export function requestArb(op: Operation, pools: FuzzPools): fc.Arbitrary<FuzzRequest> {
  const h = 0.08;
  const pathParams = op.params.filter((p) => p.in === "path");
  const pathArb = fc.tuple(...pathParams.map((p) => pathValue(p, pools))).map((values) => {
    let url = op.path;
    pathParams.forEach((p, i) => {
      url = url.replace(`{${p.name}}`, values[i] ?? "");
    });
    return url;
  });
  const method = fc.oneof(
    { weight: 30, arbitrary: fc.constant(op.method) },
    { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS") },
  );
  const contentType = fc.oneof(
    { weight: 20, arbitrary: fc.constant("application/json") },
    { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  );
  return fc
    .record({
      method,
      path: pathArb,
      query: queryArb(op, h),
      auth: authArb(op, pools),
      extra: extraHeadersArb(),
      body: bodyArb(op, h),
      contentType,
    })
    .map((r) => {
      const headers: Record<string, string> = { ...r.extra, ...r.auth };
      if (r.body !== undefined) headers["content-type"] = r.contentType;
      return {
        method: r.method,
        url: `${r.path}${r.query}`,
        headers,
        ...(r.body !== undefined ? { payload: r.body } : {}),
        op: `${op.method} ${op.path}`,
      };
    });
}
