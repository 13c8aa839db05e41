import type { Executor } from "../db/db.ts";
import type { Service, Skill, SkillOperation } from "./model.ts";
import { priceOf } from "./pricing.ts";
import type { Ranked } from "./rank.ts";

/** One step of a plan: the best service for one sub-goal, with a draft input to start from. */
export interface PlanStep {
  step: number;
  goal: string;
  service: Service;
  operation: SkillOperation;
  score: number;
  price_minor: bigint | null;
  draft_input: unknown;
  why: string[];
}

export interface DiscoverResult {
  matches: PlanStep[];
  plan: PlanStep[];
  estimated_total_minor: bigint;
  skipped: { goal: string; reason: string }[];
}

/**
 * Where a smarter ranker (an LLM, embeddings) plugs in: it reorders the lexical candidates of
 * one sub-goal. The built-in ranker keeps the catalogue's own lexical + context order.
 */
export interface DiscoverRanker {
  rank(goal: string, candidates: Ranked[]): Promise<Ranked[]>;
}

export const lexicalRanker: DiscoverRanker = { rank: async (_goal, candidates) => candidates };

/** Splits a goal into ordered sub-goals: "a then b", "a; b", "a, and then b". */
export function subGoals(goal: string): string[] {
  return goal
    .split(/;|\bthen\b|\band then\b|\bafterwards\b/i)
    .map((g) => g.replace(/^[\s,]+|[\s,.]+$/g, "").replace(/^and\s+/i, ""))
    .filter((g) => g.length > 0)
    .slice(0, 8);
}

/** Text the goal quotes ("…" or '…'), the natural value of a text input. */
function quotedText(goal: string): string | null {
  const m = /["“']([^"”']{1,2000})["”']/.exec(goal);
  return m?.[1] ?? null;
}

function skeleton(schema: Record<string, unknown>, goal: string): unknown {
  const type = schema.type;
  if (type === "string")
    return schema.enum ? (schema.enum as unknown[])[0] : (quotedText(goal) ?? "");
  if (type === "number" || type === "integer")
    return typeof schema.minimum === "number" ? schema.minimum : 0;
  if (type === "boolean") return false;
  if (type === "array") return [];
  if (type !== "object") return null;
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const name of (schema.required as string[] | undefined) ?? []) {
    const prop = props[name];
    if (prop) out[name] = "default" in prop ? prop.default : skeleton(prop, goal);
  }
  if (props.text && !("text" in out) && quotedText(goal)) out.text = quotedText(goal);
  return out;
}

/** A first input for an operation: its first example, else a skeleton of its required fields. */
export function draftInput(op: SkillOperation, goal: string): unknown {
  const example = op.examples[0]?.input;
  const quoted = quotedText(goal);
  if (example && typeof example === "object" && !Array.isArray(example)) {
    const draft = { ...(example as Record<string, unknown>) };
    if (quoted && typeof draft.text === "string") draft.text = quoted;
    return draft;
  }
  return skeleton(op.input_schema, goal);
}

/** Picks the operation of a skill whose words best overlap the goal. */
export function bestOperation(skill: Skill, goal: string): SkillOperation | undefined {
  const words = new Set(goal.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  let best = skill.operations[0];
  let bestHits = -1;
  for (const op of skill.operations) {
    const hits = (
      `${op.name} ${op.description}`.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
    ).filter((w) => words.has(w)).length;
    if (hits > bestHits) [best, bestHits] = [op, hits];
  }
  return best;
}

/**
 * Natural-language goal → ranked matches and a plan of steps within a budget. Deterministic:
 * lexical search per sub-goal, context ranking, then the cheapest-first budget fit keeps order.
 */
export async function discover(
  ex: Executor,
  deps: {
    search: (ex: Executor, goal: string) => Promise<Ranked[]>;
    skill: (ex: Executor, key: string) => Promise<Skill | null>;
    ranker?: DiscoverRanker;
  },
  spec: { goal: string; budget_minor: bigint | null; limit: number },
): Promise<DiscoverResult> {
  const ranker = deps.ranker ?? lexicalRanker;
  const matches: PlanStep[] = [];
  const plan: PlanStep[] = [];
  const skipped: DiscoverResult["skipped"] = [];
  let total = 0n;
  for (const [i, goal] of subGoals(spec.goal).entries()) {
    const ranked = await ranker.rank(goal, await deps.search(ex, goal).catch(() => []));
    const steps: PlanStep[] = [];
    for (const r of ranked.slice(0, spec.limit)) {
      const skill = await deps.skill(ex, r.service.skill_key);
      const op = skill ? bestOperation(skill, goal) : undefined;
      if (!op) continue;
      const draft = draftInput(op, goal);
      const price = priceOf(r.service.pricing, draft);
      steps.push({
        step: i + 1,
        goal,
        service: r.service,
        operation: op,
        score: r.score,
        price_minor: price?.amount_minor ?? null,
        draft_input: draft,
        why: r.reasons,
      });
    }
    matches.push(...steps);
    const affordable = steps.find(
      (s) =>
        s.price_minor !== null &&
        (spec.budget_minor === null || total + s.price_minor <= spec.budget_minor),
    );
    if (!affordable) {
      skipped.push({
        goal,
        reason: steps.length ? "no match fits the remaining budget" : "no match",
      });
      continue;
    }
    total += affordable.price_minor ?? 0n;
    plan.push(affordable);
  }
  return { matches, plan, estimated_total_minor: total, skipped };
}
