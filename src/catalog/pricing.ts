import { canonicalJson } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import type { Pricing } from "./model.ts";
import { catalogProblems } from "./problems.ts";

/** A priced kilobyte is SI: 1000 bytes of canonical JSON (the built-in skills agree). */
export const KILOBYTE_BYTES = 1000;

/** Refuses pricing a quote could not honour exactly. */
export function checkPricing(p: Pricing): void {
  const bad = (detail: string) => new Problem(catalogProblems.CATALOG_PRICING_INVALID, detail);
  if (p.model === "fixed") {
    if (p.amount_minor === null || p.amount_minor < 0n)
      throw bad("fixed pricing needs amount >= 0");
    if (p.unit !== "request") throw bad("fixed pricing is per request");
  }
  if (p.model === "per_unit") {
    if (p.amount_minor_per_unit === null || p.amount_minor_per_unit <= 0n) {
      throw bad("per_unit pricing needs amount_per_unit > 0");
    }
    if (p.unit === "request")
      throw bad("per_unit pricing needs a unit: kilobyte, character or item");
    if (p.minimum_minor !== null && p.minimum_minor < 0n) throw bad("minimum must be >= 0");
  }
}

/**
 * How many units an input measures: kilobytes (1000 bytes) of its canonical JSON, rounded up; characters
 * (code points) of its `text` field, or items of its `items` array.
 */
export function unitsOf(unit: Pricing["unit"], input: unknown): bigint {
  if (unit === "request") return 1n;
  if (unit === "kilobyte") {
    const bytes = Buffer.byteLength(canonicalJson(input ?? null));
    return BigInt(Math.max(1, Math.ceil(bytes / KILOBYTE_BYTES)));
  }
  const record = (typeof input === "object" && input !== null ? input : {}) as Record<
    string,
    unknown
  >;
  if (unit === "character") {
    const text = record.text;
    return BigInt(typeof text === "string" ? [...text].length : 0);
  }
  const items = record.items;
  return BigInt(Array.isArray(items) ? items.length : 0);
}

/** The exact price of one call, or null when the service must quote it itself. */
export function priceOf(
  p: Pricing,
  input: unknown,
  units_given?: bigint,
): { amount_minor: bigint; units: bigint } | null {
  if (p.model === "fixed") return { amount_minor: p.amount_minor ?? 0n, units: 1n };
  if (p.model === "per_unit" && p.amount_minor_per_unit !== null) {
    const units = units_given ?? unitsOf(p.unit, input);
    const raw = units * p.amount_minor_per_unit;
    const minimum = p.minimum_minor ?? 0n;
    return { amount_minor: raw > minimum ? raw : minimum, units };
  }
  return null;
}
