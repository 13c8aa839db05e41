import { Ajv, type ErrorObject } from "ajv";
import formatsPlugin from "ajv-formats";
import type { FastifyInstance, FastifySchemaCompiler } from "fastify";
import { limits } from "../kernel/limits.ts";
import { type FieldError, Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";

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

/**
 * JSON bodies as Fastify parses them (secure-json-parse, prototype poisoning refused), then
 * checked for what JSON text allows but no handler can use: numbers that overflow to ±Infinity
 * (`1e999`) and nesting deeper than `http_json_depth_max`. Both reach every route (schemas with
 * free-form fields, the Idempotency-Key fingerprint), where canonical JSON and recursive readers
 * would throw; here they are a 400.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    parse(request, String(body), (error, value) => {
      if (error) return done(error, undefined);
      const defect = jsonDefectOf(value);
      if (defect === null) return done(null, value);
      done(
        new Problem(kernelProblems.VALIDATION_FAILED, `the request body ${defect.detail}`, {
          errors: [defect],
        }),
        undefined,
      );
    });
  });
}

/** The first non-finite number or too-deep value of a parsed JSON value (iteratively: no stack). */
export function jsonDefectOf(value: unknown): FieldError | null {
  const stack: { value: unknown; pointer: string; depth: number }[] = [
    { value, pointer: "", depth: 0 },
  ];
  while (stack.length > 0) {
    const top = stack.pop() as { value: unknown; pointer: string; depth: number };
    const v = top.value;
    if (typeof v === "number" && !Number.isFinite(v)) {
      return { pointer: top.pointer || "/", detail: "has a number too large to represent" };
    }
    if (v === null || typeof v !== "object") continue;
    if (top.depth >= limits.http_json_depth_max) {
      return {
        pointer: top.pointer || "/",
        detail: `is nested deeper than ${limits.http_json_depth_max} levels`,
      };
    }
    for (const [k, child] of Object.entries(v)) {
      const pointer = `${top.pointer}/${escapePointerToken(k)}`;
      stack.push({ value: child, pointer, depth: top.depth + 1 });
    }
  }
  return null;
}
