import type { Static, TSchema } from "@sinclair/typebox";
import { Ajv2020, type ErrorObject, type Options, type ValidateFunction } from "ajv/dist/2020.js";
import formatsPlugin from "ajv-formats";
import type { FieldError } from "../kernel/problem.ts";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError } from "./model.ts";

/**
 * A draft 2020-12 validator with formats. No coercion and no defaults: inputs are checked
 * exactly as sent and never mutated (the caller may hash or store them afterwards).
 */
export function newAjv2020(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    ...options,
  });
  // ajv-formats is CommonJS; its default export arrives wrapped under ESM.
  const addFormats = (formatsPlugin as unknown as { default: (a: Ajv2020) => Ajv2020 }).default;
  addFormats(ajv);
  return ajv;
}

// Our own schemas are trusted code: strict mode catches a typo in a keyword at first use.
const ownAjv = newAjv2020({ strict: true });
const compiled = new WeakMap<TSchema, ValidateFunction>();

/** The compiled validator of one of our own schemas, compiled once. */
export function validatorOf(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ownAjv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Checks `input` against an operation's input schema, or throws BuiltinInputError. */
export function checkInput<T extends TSchema>(schema: T, input: unknown): Static<T> {
  const depth_max = builtinLimits.input_depth_max;
  if (nestsDeeperThan(input, depth_max)) {
    throw new BuiltinInputError(`the input nests deeper than ${depth_max} levels`, [
      { pointer: "", detail: `must NOT nest deeper than ${depth_max} levels` },
    ]);
  }
  const validate = validatorOf(schema);
  if (validate(input)) return input as Static<T>;
  const errors = fieldErrorsOf(validate.errors ?? []);
  const first = errors[0];
  const where = first === undefined || first.pointer === "" ? "the input" : first.pointer;
  const summary = `${where} ${first?.detail ?? "is not valid"}`;
  throw new BuiltinInputError(
    `the input does not match the operation's schema: ${summary}`,
    errors,
  );
}

/**
 * The JSON pointer (RFC 6901) an Ajv error is about. For a missing or unexpected property
 * it points at that property, which is where a caller has to look; "" is the whole document.
 */
export function pointerOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") {
    return `${error.instancePath}/${escapePointerToken(String(params.missingProperty))}`;
  }
  if (error.keyword === "additionalProperties") {
    return `${error.instancePath}/${escapePointerToken(String(params.additionalProperty))}`;
  }
  return error.instancePath;
}

/** Turns Ajv errors into field errors, one per location and keyword. */
export function fieldErrorsOf(errors: readonly ErrorObject[]): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const pointer = pointerOf(error);
    const key = `${pointer}:${error.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer, detail: error.message ?? "is not valid" });
  }
  return out;
}

/** Escapes one reference token of a JSON pointer (RFC 6901 §3). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * True when a JSON value nests deeper than `depth_max` (a scalar has depth 0). Iterative, so a
 * hostile document cannot overflow the stack while we measure it.
 */
export function nestsDeeperThan(value: unknown, depth_max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== "object") continue;
    if (depth + 1 > depth_max) return true;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) stack.push([child, depth + 1]);
  }
  return false;
}
