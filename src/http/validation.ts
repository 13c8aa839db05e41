import { Ajv, type ErrorObject } from "ajv";
import formatsPlugin from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";
import type { FieldError } from "../kernel/problem.ts";

/**
 * Two validators: bodies are validated exactly as sent (no type coercion, so `"1"` is not a
 * number), while path and query strings, which are text by nature, are coerced to their types.
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? "array" : false,
    allErrors: true,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  // ajv-formats is CommonJS; its default export arrives wrapped under ESM.
  const addFormats = (formatsPlugin as unknown as { default: (a: Ajv) => Ajv }).default;
  addFormats(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === "body" ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** Turns Ajv errors into field errors located by JSON pointer, one per bad field. */
export function fieldErrorsOf(errors: ErrorObject[], location: string): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let pointer = e.instancePath;
    let detail = e.message ?? "is not valid";
    const params = e.params as Record<string, unknown>;
    if (e.keyword === "required") {
      pointer += `/${escapePointerToken(String(params.missingProperty))}`;
      detail = "is required";
    } else if (e.keyword === "additionalProperties") {
      pointer += `/${escapePointerToken(String(params.additionalProperty))}`;
      detail = "is not an accepted field";
    } else if (e.keyword === "enum") {
      detail = `must be one of ${JSON.stringify(params.allowedValues)}`;
    }
    if (pointer === "") pointer = "/";
    const key = `${location}${pointer}:${e.keyword}`;
    // anyOf/oneOf branches repeat the same location; keep the first useful message.
    if (seen.has(key) || e.keyword === "anyOf" || e.keyword === "oneOf") continue;
    seen.add(key);
    out.push(location === "body" ? { pointer, detail } : { pointer, detail, location });
  }
  return out;
}

function escapePointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}
