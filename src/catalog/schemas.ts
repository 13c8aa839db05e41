import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import formatsPlugin from "ajv-formats";
import { limits } from "../kernel/limits.ts";
import { Problem } from "../kernel/problem.ts";
import { catalogProblems } from "./problems.ts";

const ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: true });
(formatsPlugin as unknown as { default: (a: Ajv2020) => Ajv2020 }).default(ajv);
const compiled = new Map<string, ValidateFunction>();

/** Compiles a capability schema, or refuses it with where it is broken. */
export function compileSchema(schema: unknown, pointer: string): ValidateFunction {
  const text = JSON.stringify(schema);
  const cached = compiled.get(text);
  if (cached) return cached;
  if (Buffer.byteLength(text) > limits.schema_json_bytes_max) {
    throw new Problem(catalogProblems.CATALOG_SCHEMA_INVALID, `schema at ${pointer} is too large`, {
      errors: [{ pointer, detail: `larger than ${limits.schema_json_bytes_max} bytes` }],
    });
  }
  try {
    const validate = ajv.compile(schema as object);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(text, validate);
    return validate;
  } catch (error) {
    const detail = error instanceof Error ? error.message : "does not compile";
    throw new Problem(catalogProblems.CATALOG_SCHEMA_INVALID, `schema at ${pointer}: ${detail}`, {
      errors: [{ pointer, detail }],
    });
  }
}

/** Validates an input against an operation's input schema; problems name each bad field. */
export function checkInput(schema: unknown, input: unknown): void {
  const validate = compileSchema(schema, "/input_schema");
  if (validate(input)) return;
  const errors = (validate.errors ?? []).slice(0, 20).map((e) => ({
    pointer: `/input${e.instancePath}`,
    detail: e.message ?? "is not valid",
  }));
  throw new Problem(catalogProblems.QUOTE_INPUT_INVALID, "the input does not match the schema", {
    errors,
  });
}
