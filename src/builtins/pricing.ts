import { assert, unreachable } from "../kernel/assert.ts";
import { canonicalJson } from "../kernel/json.ts";
import { limits } from "../kernel/limits.ts";
import { codePointCount } from "./language.ts";
import type { BuiltinOperation, PricingUnit } from "./model.ts";
import { checkInput } from "./validate.ts";

/** Bytes in the kilobyte priced by: SI, as in the units.convert skill's "KB". */
export const PRICING_KILOBYTE_BYTES = 1000;

/**
 * The size of an input in a pricing unit:
 * - `kilobyte`: UTF-8 bytes of the input's canonical JSON (RFC 8785), divided by 1000 and
 *   rounded up, so `{}` is 1 kilobyte and 1001 bytes are 2;
 * - `character`: Unicode code points of the input's `text` field (0 when it has none);
 * - `item`: elements of the input's `items` array (0 when it has none).
 * The canonical form makes the size independent of how the caller spaced or ordered its JSON.
 */
export function measureUnits(unit: PricingUnit, input: unknown): bigint {
  switch (unit) {
    case "kilobyte": {
      const bytes = Buffer.byteLength(canonicalJson(input), "utf8");
      return BigInt(Math.ceil(bytes / PRICING_KILOBYTE_BYTES));
    }
    case "character": {
      const text = fieldOf(input, "text");
      return typeof text === "string" ? BigInt(codePointCount(text)) : 0n;
    }
    case "item": {
      const items = fieldOf(input, "items");
      return Array.isArray(items) ? BigInt(items.length) : 0n;
    }
    default:
      return unreachable(unit, "pricing unit");
  }
}

function fieldOf(input: unknown, name: string): unknown {
  if (input === null || typeof input !== "object" || !Object.hasOwn(input, name)) return undefined;
  return (input as Record<string, unknown>)[name];
}

/**
 * The price of running `op` on `input`, in minor units: the fixed amount, or units × rate but
 * never below the minimum. The input is checked against the operation's schema first, so no
 * input is quoted that run() would refuse for its shape (throws BuiltinInputError).
 */
export function priceFor(op: BuiltinOperation, input: unknown): bigint {
  checkInput(op.input_schema, input);
  const pricing = op.pricing;
  let price: bigint;
  if (pricing.model === "fixed") {
    price = pricing.amount_minor;
  } else {
    // Not Math.max: it does not take bigints.
    const byUnits = measureUnits(pricing.unit, input) * pricing.amount_minor_per_unit;
    price = pricing.minimum_minor;
    if (byUnits > price) price = byUnits;
  }
  // Bounded inputs times small rates: a price past the ledger's range is a catalogue bug.
  assert(price >= 0n && price <= limits.amount_minor_max, `price ${price} is out of range`);
  return price;
}
