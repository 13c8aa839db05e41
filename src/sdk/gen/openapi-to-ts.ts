/**
 * Turns the hub's OpenAPI 3.1 document into TypeScript types, one entry per operation: its
 * method, path, path and query parameters, JSON body and JSON success response. Pure (document
 * in, text out) so a test can prove the committed file is current.
 */

type Schema = boolean | Record<string, unknown>;

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Schema;
  description?: string;
}

interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }>; required?: boolean };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
/** Deeper schemas than this are typed `unknown`; the hub's documents nest far less. */
const DEPTH_MAX = 24;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const keyOf = (name: string) => (IDENTIFIER.test(name) ? name : JSON.stringify(name));

function docComment(text: unknown, pad: string): string {
  if (typeof text !== "string" || text.trim() === "") return "";
  const safe = text.replace(/\*\//g, "*\\/").replace(/\s+/g, " ").trim();
  return `${pad}/** ${safe} */\n`;
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  if (unique.includes("unknown")) return "unknown";
  return unique.length === 0 ? "never" : unique.join(" | ");
}

function literal(value: unknown): string {
  return value === null || typeof value !== "object" ? JSON.stringify(value) : "unknown";
}

function arrayOf(item: string): string {
  return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
}

function objectType(s: Record<string, unknown>, depth: number): string {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required ?? []) as string[]);
  const pad = "  ".repeat(depth + 1);
  const lines: string[] = [];
  for (const [name, sub] of Object.entries(properties)) {
    const description = typeof sub === "object" ? sub.description : undefined;
    const optional = required.has(name) ? "" : "?";
    lines.push(
      `${docComment(description, pad)}${pad}${keyOf(name)}${optional}: ${tsOf(sub, depth + 1)};`,
    );
  }
  const patterns = Object.values((s.patternProperties ?? {}) as Record<string, Schema>);
  const extra = s.additionalProperties;
  const open = extra === true || (typeof extra === "object" && extra !== null);
  if (lines.length === 0 && (patterns.length > 0 || open)) {
    const values = [...patterns, ...(typeof extra === "object" ? [extra as Schema] : [])];
    const value = values.length ? union(values.map((v) => tsOf(v, depth + 1))) : "unknown";
    return `Record<string, ${value}>`;
  }
  if (patterns.length > 0 || open) lines.push(`${pad}[key: string]: unknown;`);
  if (lines.length === 0) return "Record<string, never>";
  return `{\n${lines.join("\n")}\n${"  ".repeat(depth)}}`;
}

function typeName(type: unknown, s: Record<string, unknown>, depth: number): string {
  switch (type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      const items = s.items === undefined ? "unknown" : tsOf(s.items as Schema, depth);
      return arrayOf(items);
    }
    case "object":
      return objectType(s, depth);
    default:
      return "unknown";
  }
}

/** The TypeScript type of one JSON Schema (the subset TypeBox and fastify-swagger emit). */
export function tsOf(schema: Schema | undefined, depth = 0): string {
  if (schema === undefined || schema === true) return "unknown";
  if (schema === false) return "never";
  if (depth > DEPTH_MAX) return "unknown";
  const s = schema;
  if ("const" in s) return literal(s.const);
  if (Array.isArray(s.enum)) return union(s.enum.map(literal));
  const anyOf = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (Array.isArray(anyOf)) return union(anyOf.map((x) => tsOf(x, depth)));
  if (Array.isArray(s.allOf)) {
    const parts = (s.allOf as Schema[]).map((x) => tsOf(x, depth)).filter((t) => t !== "unknown");
    return parts.length
      ? parts.map((p) => (p.includes("|") ? `(${p})` : p)).join(" & ")
      : "unknown";
  }
  if (Array.isArray(s.type)) return union(s.type.map((t) => typeName(t, s, depth)));
  if (s.type === undefined && (s.properties || s.patternProperties)) {
    return objectType(s, depth);
  }
  return typeName(s.type, s, depth);
}

function jsonSchemaOf(content: Record<string, { schema?: Schema }> | undefined) {
  if (!content) return undefined;
  const json = Object.entries(content).find(([media]) => /json/.test(media));
  return json?.[1].schema;
}

function parametersType(params: Parameter[], where: "path" | "query", pad: string): string {
  const own = params.filter((p) => p.in === where);
  if (own.length === 0) return "Record<string, never>";
  const lines = own.map((p) => {
    const optional = p.required ? "" : "?";
    const description = typeof p.schema === "object" ? p.schema.description : undefined;
    return `${docComment(description ?? p.description, `${pad}  `)}${pad}  ${keyOf(p.name)}${optional}: ${tsOf(p.schema, 3)};`;
  });
  return `{\n${lines.join("\n")}\n${pad}}`;
}

function operationType(method: string, path: string, op: Operation): string {
  const pad = "    ";
  const params = op.parameters ?? [];
  const body = jsonSchemaOf(op.requestBody?.content);
  const successes = Object.entries(op.responses ?? {})
    .filter(([code]) => /^2/.test(code))
    .map(([, r]) => jsonSchemaOf(r.content));
  const response = successes.length ? union(successes.map((s) => tsOf(s, 2))) : "unknown";
  return [
    `${pad}method: ${JSON.stringify(method.toUpperCase())};`,
    `${pad}path: ${JSON.stringify(path)};`,
    `${pad}params: ${parametersType(params, "path", pad)};`,
    `${pad}query: ${parametersType(params, "query", pad)};`,
    `${pad}body: ${body === undefined ? "never" : tsOf(body, 2)};`,
    `${pad}response: ${response};`,
  ].join("\n");
}

/** The generated module's text. */
export function generateOperationTypes(doc: OpenApiDocument): string {
  const entries: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op?.operationId) continue;
      entries.push(
        `${docComment(op.summary, "  ")}  ${keyOf(op.operationId)}: {\n${operationType(method, path, op)}\n  };`,
      );
    }
  }
  return [
    "// Generated from the hub's GET /openapi.json by src/sdk/gen/generate.ts. Do not edit:",
    "// run `node bin/run-ts.js src/sdk/gen/generate.ts` (test/sdk/openapi-types.test.ts checks it).",
    "",
    "/** Every operation of the hub's HTTP API by operationId. */",
    "export interface Operations {",
    ...entries,
    "}",
    "",
  ].join("\n");
}
