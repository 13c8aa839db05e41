import { limits } from "../kernel/limits.ts";
import type { SearchContext, SearchHit, Service } from "./model.ts";

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

export interface RankedHit {
  hit: SearchHit;
  score: number;
  reasons: string[];
}

/** The most live health adds to a score (a success rate of 1). */
export const HEALTH_SCORE_MAX = 0.05;

/** Whether a hit breaks a hard constraint of the context (over budget, too slow, untrusted). */
function excluded(h: SearchHit, context: SearchContext): boolean {
  const price = h.price_minor;
  if (context.budget_minor !== undefined && price !== null && price > context.budget_minor) {
    return true;
  }
  if (
    context.max_latency_ms !== undefined &&
    h.p50_latency_ms !== null &&
    h.p50_latency_ms > context.max_latency_ms
  ) {
    return true;
  }
  return (
    context.min_trust !== undefined && h.success_rate !== null && h.success_rate < context.min_trust
  );
}

/**
 * Orders hits by text relevance and context: region and skill fit, price against budget; drops
 * what breaks a hard constraint (over budget, too slow, below the trust floor), saying why in
 * `reasons` of the ones kept.
 */
export function rankHits(hits: SearchHit[], context: SearchContext): RankedHit[] {
  const out: RankedHit[] = [];
  for (const h of hits) {
    if (excluded(h, context)) continue;
    const reasons = [`text relevance ${h.relevance.toFixed(2)}`];
    let score = 0.55 * h.relevance;
    const price = h.price_minor;
    if (context.region && h.region === context.region) {
      score += 0.15;
      reasons.push(`in region ${h.region}`);
    } else if (h.region === "global") {
      score += 0.1;
      reasons.push("serves every region");
    }
    if (context.skill_keys?.includes(h.skill_key)) {
      score += 0.15;
      reasons.push(`matches required skill ${h.skill_key}`);
    }
    if (price !== null && context.budget_minor !== undefined && context.budget_minor > 0n) {
      const share = Number((price * 1000n) / context.budget_minor) / 1000;
      score += 0.1 * (1 - Math.min(1, share));
      reasons.push(`uses ${(share * 100).toFixed(1)} % of the budget`);
    }
    if (h.success_rate !== null) {
      score += HEALTH_SCORE_MAX * h.success_rate;
      reasons.push(`success rate ${(h.success_rate * 100).toFixed(1)} %`);
    } else {
      reasons.push("no track record yet");
    }
    if (h.p50_latency_ms !== null) reasons.push(`p50 latency ${h.p50_latency_ms} ms`);
    if (h.maturity === "production") score += 0.02;
    out.push({ hit: h, score: Math.round(score * 10_000) / 10_000, reasons });
  }
  return out.sort((a, b) => b.score - a.score || a.hit.id.localeCompare(b.hit.id));
}

/** The search hit of a full service (the fields ranking reads). */
export function hitOfService(s: Service, relevance: number): SearchHit {
  return {
    id: s.id,
    name: s.name,
    skill_key: s.skill_key,
    region: s.region,
    maturity: s.maturity,
    price_minor: s.pricing.amount_minor ?? s.pricing.minimum_minor,
    p50_latency_ms: s.p50_latency_ms,
    success_rate: s.success_rate,
    relevance,
  };
}

/** rankHits over full services (callers that already hold them). */
export function rankServices(
  candidates: { service: Service; relevance: number }[],
  context: SearchContext,
): Ranked[] {
  const byId = new Map(candidates.map((c) => [c.service.id, c.service]));
  return rankHits(
    candidates.map((c) => hitOfService(c.service, c.relevance)),
    context,
  ).map((r) => ({ service: byId.get(r.hit.id) as Service, score: r.score, reasons: r.reasons }));
}
