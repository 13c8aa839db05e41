import { type Static, Type } from "@sinclair/typebox";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { canonicalJson } from "../kernel/json.ts";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError, type BuiltinSkill } from "./model.ts";
import { hasNestedQuantifier } from "./regex-guard.ts";
import { checkInput, nestsDeeperThan, newAjv2020, pointerOf } from "./validate.ts";

const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

const ValidateInput = Type.Object(
  {
    schema: Type.Union([Type.Object({}), Type.Boolean()], {
      description: `A JSON Schema, draft 2020-12, of up to ${builtinLimits.schema_bytes_max} bytes`,
    }),
    document: Type.Unknown({
      description: `Any JSON value of up to ${builtinLimits.document_bytes_max} bytes`,
    }),
  },
  { additionalProperties: false },
);

const ValidationError = Type.Object(
  {
    pointer: Type.String({ description: "JSON pointer (RFC 6901) into the document" }),
    message: Type.String(),
    keyword: Type.String({ description: "The schema keyword that failed" }),
    schema_path: Type.String({ description: "Where that keyword sits in the schema" }),
  },
  { additionalProperties: false },
);

const ValidateOutput = Type.Object(
  {
    valid: Type.Boolean(),
    errors: Type.Array(ValidationError, { maxItems: builtinLimits.validation_errors_max }),
    error_count: Type.Integer({ minimum: 0, description: "All errors, listed or not" }),
  },
  { additionalProperties: false },
);

type ValidateInput = Static<typeof ValidateInput>;
type ValidateOutput = Static<typeof ValidateOutput>;

/** Validates a document against a JSON Schema; refuses schemas that do not compile. */
export function validateDocument(input: ValidateInput): ValidateOutput {
  checkBounds(input.document, "/document", builtinLimits.document_depth_max, "document");
  const validate = compileSchema(input.schema);
  if (validate(input.document)) return { valid: true, errors: [], error_count: 0 };
  const all = validate.errors ?? [];
  return {
    valid: false,
    errors: all.slice(0, builtinLimits.validation_errors_max).map(toValidationError),
    error_count: all.length,
  };
}

function toValidationError(error: ErrorObject): Static<typeof ValidationError> {
  return {
    pointer: pointerOf(error),
    message: error.message ?? "is not valid",
    keyword: error.keyword,
    schema_path: error.schemaPath,
  };
}

/**
 * Compiles a caller's schema in an Ajv instance of its own: a shared one would keep every
 * schema ever seen, and two callers' `$id`s would collide. No loader is set, so a `$ref` to
 * anything outside the schema fails here instead of reaching the network.
 */
export function compileSchema(schema: ValidateInput["schema"]): ValidateFunction {
  checkBounds(schema, "/schema", builtinLimits.schema_depth_max, "schema");
  if (typeof schema === "object") checkSchemaShape(schema);
  const ajv = newAjv2020({ strict: false, ownProperties: true, validateFormats: true });
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw refuseSchema(`the schema does not compile: ${reason}`);
  }
  // An async schema's validate returns a promise; nothing here needs one.
  if ((validate as { $async?: unknown }).$async === true) throw refuseSchema(ASYNC_REFUSAL);
  return validate;
}

const ASYNC_REFUSAL = "async schemas ($async: true) are not supported";

function checkSchemaShape(schema: Record<string, unknown>): void {
  if (schema.$async === true) throw refuseSchema(ASYNC_REFUSAL);
  const declared = schema.$schema;
  if (declared !== undefined && declared !== DRAFT_2020_12 && declared !== `${DRAFT_2020_12}#`) {
    throw refuseSchema(`only draft 2020-12 schemas are supported, not $schema ${String(declared)}`);
  }
  for (const pattern of patternsOf(schema)) {
    if (pattern.length > builtinLimits.schema_pattern_chars_max) {
      const max = builtinLimits.schema_pattern_chars_max;
      throw refuseSchema(`a pattern is longer than ${max} characters`);
    }
    if (hasNestedQuantifier(pattern)) {
      throw refuseSchema(
        `the pattern ${JSON.stringify(pattern)} nests a repeated group inside a repeat, ` +
          "which can take exponential time to match",
      );
    }
  }
}

// Keywords whose values are data, not schemas: a "pattern" inside them is not a regex.
const DATA_KEYWORDS = new Set(["const", "enum", "default", "examples"]);

/** Every regex a schema holds: `pattern` values and `patternProperties` keys. */
export function patternsOf(schema: unknown): string[] {
  const patterns: string[] = [];
  const stack: unknown[] = [schema];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    for (const [key, value] of Object.entries(node)) {
      if (DATA_KEYWORDS.has(key)) continue;
      if (key === "pattern" && typeof value === "string") patterns.push(value);
      if (key === "patternProperties" && value !== null && typeof value === "object") {
        patterns.push(...Object.keys(value));
      }
      stack.push(value);
    }
  }
  return patterns;
}

function checkBounds(value: unknown, pointer: string, depth_max: number, what: string): void {
  // Depth first: canonicalJson recurses, so it must not see an unbounded nesting.
  if (nestsDeeperThan(value, depth_max)) {
    throw new BuiltinInputError(`the ${what} nests deeper than ${depth_max} levels`, [
      { pointer, detail: `must NOT nest deeper than ${depth_max} levels` },
    ]);
  }
  const bytes_max =
    what === "schema" ? builtinLimits.schema_bytes_max : builtinLimits.document_bytes_max;
  const bytes = Buffer.byteLength(jsonText(value, pointer, what), "utf8");
  if (bytes > bytes_max) {
    throw new BuiltinInputError(`the ${what} is ${bytes} bytes, over the ${bytes_max} limit`, [
      { pointer, detail: `must NOT be larger than ${bytes_max} bytes` },
    ]);
  }
}

// Only reachable from code that passes a non-JSON value (NaN, a function) to run() directly.
function jsonText(value: unknown, pointer: string, what: string): string {
  try {
    return canonicalJson(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BuiltinInputError(`the ${what} is not JSON: ${reason}`, [
      { pointer, detail: reason },
    ]);
  }
}

function refuseSchema(detail: string): BuiltinInputError {
  return new BuiltinInputError(detail, [{ pointer: "/schema", detail }]);
}

/** json.validate: JSON Schema validation with every error located. */
export const jsonValidate: BuiltinSkill = {
  key: "json.validate",
  label: "JSON Schema validation",
  description:
    "Validates a JSON document against a JSON Schema (draft 2020-12, with formats) and lists " +
    "every error with a JSON pointer, message and failing keyword.",
  tags: ["json", "json schema", "validation", "ajv", "data quality"],
  operations: [
    {
      name: "validate",
      description:
        "Checks one document against one schema; a schema that does not compile is refused.",
      input_schema: ValidateInput,
      output_schema: ValidateOutput,
      pricing: {
        model: "per_unit",
        unit: "kilobyte",
        amount_minor_per_unit: 50n,
        minimum_minor: 500n,
      },
      examples: [
        {
          input: {
            schema: {
              type: "object",
              required: ["name"],
              properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
            },
            document: { age: -1 },
          },
          output: {
            valid: false,
            errors: [
              {
                pointer: "/name",
                message: "must have required property 'name'",
                keyword: "required",
                schema_path: "#/required",
              },
              {
                pointer: "/age",
                message: "must be >= 0",
                keyword: "minimum",
                schema_path: "#/properties/age/minimum",
              },
            ],
            error_count: 2,
          },
        },
        {
          input: { schema: { type: "string", format: "email" }, document: "ada@example.com" },
          output: { valid: true, errors: [], error_count: 0 },
        },
      ],
      run: async (input) => validateDocument(checkInput(ValidateInput, input)),
    },
  ],
};
