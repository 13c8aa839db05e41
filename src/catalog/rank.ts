import { limits } from "../kernel/limits.ts";
import type { SearchContext, Service } from "./model.ts";

/** Lower-cased letter/digit tokens of a query, bounded (safe to embed in FTS syntax). */
export function tokensOf(query: string): string[] {
  const words = query
    .slice(0, limits.search_query_chars_max)
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu);
  return [...new Set(words ?? [])].filter((w) => w.length >= 2).slice(0, limits.search_tokens_max);
}

export interface Ranked {
  service: Service;
  score: number;
  reasons: string[];
}

/**
 * Orders candidates by text relevance and context: region and skill fit, price against budget;
 * drops what breaks a hard constraint (over budget, too slow, below the trust floor), saying why
 * in `reasons` of the ones kept.
 */
export function rankServices(
  candidates: { service: Service; relevance: number }[],
  context: SearchContext,
): Ranked[] {
  const out: Ranked[] = [];
  for (const { service: s, relevance } of candidates) {
    const reasons = [`text relevance ${relevance.toFixed(2)}`];
    let score = 0.55 * relevance;
    const price = s.pricing.amount_minor ?? s.pricing.minimum_minor;
    if (context.budget_minor !== undefined && price !== null && price > context.budget_minor)
      continue;
    if (
      context.max_latency_ms !== undefined &&
      s.p50_latency_ms !== null &&
      s.p50_latency_ms > context.max_latency_ms
    )
      continue;
    if (
      context.min_trust !== undefined &&
      s.success_rate !== null &&
      s.success_rate < context.min_trust
    ) {
      continue;
    }
    if (context.region && s.region === context.region) {
      score += 0.15;
      reasons.push(`in region ${s.region}`);
    } else if (s.region === "global") {
      score += 0.1;
      reasons.push("serves every region");
    }
    if (context.skill_keys?.includes(s.skill_key)) {
      score += 0.15;
      reasons.push(`matches required skill ${s.skill_key}`);
    }
    if (price !== null && context.budget_minor !== undefined && context.budget_minor > 0n) {
      const share = Number((price * 1000n) / context.budget_minor) / 1000;
      score += 0.1 * (1 - Math.min(1, share));
      reasons.push(`uses ${(share * 100).toFixed(1)} % of the budget`);
    }
    if (s.success_rate !== null) {
      score += 0.05 * s.success_rate;
      reasons.push(`success rate ${(s.success_rate * 100).toFixed(1)} %`);
    } else {
      reasons.push("no track record yet");
    }
    if (s.p50_latency_ms !== null) reasons.push(`p50 latency ${s.p50_latency_ms} ms`);
    if (s.maturity === "production") score += 0.02;
    out.push({ service: s, score: Math.round(score * 10_000) / 10_000, reasons });
  }
  return out.sort((a, b) => b.score - a.score || a.service.id.localeCompare(b.service.id));
}
