import type { TSchema } from "@sinclair/typebox";
import { type FieldError, Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";

/**
 * A skill the hub ships itself, so a newcomer can search, quote and invoke before any agent
 * has listed anything. Definitions are immutable data plus pure `run` functions: running the
 * same input twice gives the same output, and concurrent runs share nothing.
 */
export interface BuiltinSkill {
  /** Skill key, dotted and lowercase, e.g. `text.stats`. */
  readonly key: string;
  readonly label: string;
  /** One to three sentences, written to be found by search. */
  readonly description: string;
  readonly tags: readonly string[];
  readonly operations: readonly BuiltinOperation[];
}

/** What an operation costs: a fixed amount, or an amount per unit of input size. */
export type BuiltinPricing =
  | { readonly model: "fixed"; readonly amount_minor: bigint }
  | {
      readonly model: "per_unit";
      readonly unit: PricingUnit;
      readonly amount_minor_per_unit: bigint;
      readonly minimum_minor: bigint;
    };

/**
 * How input size is measured (see `measureUnits` in pricing.ts):
 * `kilobyte` = 1000-byte blocks of the input's canonical JSON, rounded up;
 * `character` = Unicode code points of the input's `text` field;
 * `item` = elements of the input's `items` array.
 */
export type PricingUnit = "kilobyte" | "character" | "item";

/** One callable operation of a built-in skill, contract first. */
export interface BuiltinOperation {
  /** Operation name, lowercase with underscores, e.g. `analyze`. */
  readonly name: string;
  readonly description: string;
  /** JSON Schema (draft 2020-12) of the input, with a bound on every field. */
  readonly input_schema: TSchema;
  readonly output_schema: TSchema;
  /** Real outputs of `run` for their inputs; a test re-runs every one. */
  readonly examples: readonly BuiltinExample[];
  /** Pricing hint in minor units of USDC (6 decimals). */
  readonly pricing: BuiltinPricing;
  /**
   * Deterministic, pure, bounded work. Validates its input against `input_schema` first and
   * throws BuiltinInputError for any input it cannot handle; any other error is a bug.
   */
  run(input: unknown): Promise<unknown>;
}

/** An input and the output `run` gives for it. */
export interface BuiltinExample {
  readonly input: unknown;
  readonly output: unknown;
}

/**
 * The caller's input cannot be handled. A Problem with the kernel's VALIDATION_FAILED code, so
 * HTTP, MCP and CLI render it like any other invalid request; `errors` locate the bad fields.
 */
export class BuiltinInputError extends Problem {
  override name = "BuiltinInputError";

  constructor(detail: string, errors?: FieldError[]) {
    super(kernelProblems.VALIDATION_FAILED, detail, errors === undefined ? {} : { errors });
  }
}
