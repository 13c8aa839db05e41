import type { Pricing, Service } from "./model.ts";

/** Services are stored as JSON with money as decimal strings (bigint does not survive JSON). */
export function serviceToJson(s: Service): string {
  return JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

const big = (v: unknown): bigint | null =>
  v === null || v === undefined ? null : BigInt(v as string);

export function serviceFromJson(text: string): Service {
  const raw = JSON.parse(text) as Service & { pricing: Record<string, unknown> };
  const p = raw.pricing;
  const pricing: Pricing = {
    model: p.model as Pricing["model"],
    asset: p.asset as string,
    amount_minor: big(p.amount_minor),
    unit: p.unit as Pricing["unit"],
    amount_minor_per_unit: big(p.amount_minor_per_unit),
    minimum_minor: big(p.minimum_minor),
    notes: (p.notes as string[]) ?? [],
  };
  return { ...raw, pricing };
}
