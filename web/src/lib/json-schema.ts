/** A message about JSON a person typed, with where it is when known. */
export interface JsonIssue {
  pointer: string;
  message: string;
  line?: number;
  column?: number;
}

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

/** Line and column (1-based) of a character offset in `text`. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** Parses JSON text; a syntax error becomes an issue with its line and column when known. */
export function parseJsonText(
  text: string,
): { ok: true; value: unknown } | { ok: false; issue: JsonIssue } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    const where = at?.[1] ? positionOf(text, Number(at[1])) : {};
    return { ok: false, issue: { pointer: "", message: `Not valid JSON: ${message}`, ...where } };
  }
}

/**
 * Checks the shape of a JSON Schema before it is published (the hub checks it again): an
 * object, known `type`s, `properties` of schemas, `required` naming declared properties, `items`
 * a schema. Messages name the JSON pointer of the problem.
 */
export function checkJsonSchema(schema: unknown, pointer = ""): JsonIssue[] {
  if (typeof schema === "boolean") return [];
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    return [{ pointer: pointer || "/", message: "A JSON Schema must be an object" }];
  }
  const s = schema as Record<string, unknown>;
  const issues: JsonIssue[] = [];
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  for (const t of types) {
    if (typeof t !== "string" || !TYPES.has(t)) {
      issues.push({ pointer: `${pointer}/type`, message: `Unknown type ${JSON.stringify(t)}` });
    }
  }
  if (s.properties !== undefined) {
    if (typeof s.properties !== "object" || s.properties === null || Array.isArray(s.properties)) {
      issues.push({ pointer: `${pointer}/properties`, message: "properties must be an object" });
    } else {
      for (const [name, sub] of Object.entries(s.properties)) {
        issues.push(...checkJsonSchema(sub, `${pointer}/properties/${name}`));
      }
    }
  }
  if (s.required !== undefined) {
    if (!Array.isArray(s.required) || s.required.some((r) => typeof r !== "string")) {
      issues.push({ pointer: `${pointer}/required`, message: "required must list property names" });
    } else if (s.properties && typeof s.properties === "object") {
      for (const name of s.required as string[]) {
        if (!(name in (s.properties as object))) {
          issues.push({
            pointer: `${pointer}/required`,
            message: `"${name}" is required but not declared in properties`,
          });
        }
      }
    }
  }
  if (s.items !== undefined) issues.push(...checkJsonSchema(s.items, `${pointer}/items`));
  return issues;
}

/** Parses and checks JSON Schema text in one step. */
export function checkJsonSchemaText(text: string): { schema: unknown; issues: JsonIssue[] } {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return { schema: null, issues: [parsed.issue] };
  return { schema: parsed.value, issues: checkJsonSchema(parsed.value) };
}
