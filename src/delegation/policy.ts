import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import type { DelegationPolicy, PolicyDecision, PolicyReason, Purchase } from "./model.ts";
import { delegationProblems } from "./problems.ts";

const LISTS = [
  "allowed_skill_keys",
  "denied_skill_keys",
  "allowed_service_ids",
  "denied_service_ids",
  "allowed_provider_keys",
  "denied_provider_keys",
  "allowed_rails",
  "denied_rails",
] as const;
const AMOUNTS = [
  "per_transaction_limit_minor",
  "daily_limit_minor",
  "monthly_limit_minor",
  "total_budget_minor",
] as const;

/** A policy that allows everything, without limits. */
export function openPolicy(): DelegationPolicy {
  return {
    allowed_skill_keys: [],
    denied_skill_keys: [],
    allowed_service_ids: [],
    denied_service_ids: [],
    allowed_provider_keys: [],
    denied_provider_keys: [],
    allowed_rails: [],
    denied_rails: [],
    currency: null,
    per_transaction_limit_minor: null,
    daily_limit_minor: null,
    monthly_limit_minor: null,
    total_budget_minor: null,
    expires_at_ms: null,
  };
}

/**
 * The normal form of a policy (lists sorted, duplicates dropped), refusing limits without a
 * currency: a limit must say what it counts.
 */
export function normalisePolicy(policy: DelegationPolicy): DelegationPolicy {
  const out = { ...policy };
  for (const k of LISTS) out[k] = [...new Set(policy[k])].sort();
  const limited = AMOUNTS.filter((k) => policy[k] !== null);
  if (limited.length > 0 && policy.currency === null) {
    throw new Problem(delegationProblems.AGENT_POLICY_INVALID, "spend limits need a currency", {
      errors: [{ pointer: "/delegationPolicy/currency", detail: "required with spend limits" }],
    });
  }
  for (const k of limited) {
    if ((policy[k] as bigint) < 0n) {
      throw new Problem(delegationProblems.AGENT_POLICY_INVALID, `${k} is negative`);
    }
  }
  return out;
}

/** The policy as JSON-safe data (amounts as decimal strings), for storage and hashing. */
export function policyToJson(p: DelegationPolicy): Record<string, unknown> {
  const out: Record<string, unknown> = { ...p };
  for (const k of AMOUNTS) out[k] = p[k] === null ? null : (p[k] as bigint).toString();
  return out;
}

export function policyFromJson(json: Record<string, unknown>): DelegationPolicy {
  const p = { ...openPolicy(), ...json } as Record<string, unknown>;
  for (const k of AMOUNTS) p[k] = p[k] === null ? null : BigInt(p[k] as string);
  return p as unknown as DelegationPolicy;
}

/** The hash pairing tokens carry: SHA-256 over the RFC 8785 canonical JSON of the policy. */
export function policyHash(p: DelegationPolicy): string {
  return sha256Hex(canonicalJson(policyToJson(normalisePolicy(p))));
}

function matches(entry: string, value: string, prefixes: boolean): boolean {
  if (prefixes && entry.endsWith(".*")) return value.startsWith(entry.slice(0, -1));
  return entry === value;
}

/** True when `value` passes an allow list (empty allows all) and is not on the deny list. */
function passes(allowed: string[], denied: string[], value: string, prefixes = false): boolean {
  if (denied.some((e) => matches(e, value, prefixes))) return false;
  return allowed.length === 0 || allowed.some((e) => matches(e, value, prefixes));
}

const deny = (
  code: "AGENT_POLICY_DENIED" | "AGENT_SPEND_LIMIT_EXCEEDED" | "AGENT_DAILY_LIMIT_EXCEEDED",
  reason: PolicyReason,
  detail: string,
): PolicyDecision => ({ allowed: false, code, reason, detail });

/** What a pairing has spent already in the policy's currency, when the caller knows it. */
export interface SpentSoFar {
  day_minor: bigint;
  month_minor: bigint;
  total_minor: bigint;
}

function checkAmount(
  p: DelegationPolicy,
  amount: bigint,
  spent?: SpentSoFar,
): PolicyDecision | null {
  const over = (limit: bigint | null, used: bigint) => limit !== null && used + amount > limit;
  if (over(p.per_transaction_limit_minor, 0n)) {
    return deny("AGENT_SPEND_LIMIT_EXCEEDED", "per_transaction", "over the per-transaction limit");
  }
  if (!spent) return null;
  if (over(p.daily_limit_minor, spent.day_minor)) {
    return deny("AGENT_DAILY_LIMIT_EXCEEDED", "daily", "over today's spend limit (UTC day)");
  }
  if (over(p.monthly_limit_minor, spent.month_minor)) {
    return deny("AGENT_SPEND_LIMIT_EXCEEDED", "monthly", "over this month's spend limit");
  }
  if (over(p.total_budget_minor, spent.total_minor)) {
    return deny("AGENT_SPEND_LIMIT_EXCEEDED", "total", "over the pairing's total budget");
  }
  return null;
}

/**
 * Decides a purchase against a policy, purely: for filtering search results (amount may be
 * unknown) and for checking an order before it is created. The binding check with counters is
 * `reserveSpend`, inside the debit's transaction.
 */
export function evaluatePolicy(
  p: DelegationPolicy,
  purchase: Purchase,
  options: { now_ms: number; spent?: SpentSoFar },
): PolicyDecision {
  const D = "AGENT_POLICY_DENIED";
  if (p.expires_at_ms !== null && p.expires_at_ms <= options.now_ms) {
    return deny(D, "expired", "the delegation policy has expired");
  }
  if (!passes(p.allowed_skill_keys, p.denied_skill_keys, purchase.skill_key, true)) {
    return deny(D, "skill", `skill ${purchase.skill_key} is not allowed`);
  }
  if (!passes(p.allowed_service_ids, p.denied_service_ids, purchase.service_id)) {
    return deny(D, "service", `service ${purchase.service_id} is not allowed`);
  }
  if (!passes(p.allowed_provider_keys, p.denied_provider_keys, purchase.provider_key)) {
    return deny(D, "provider", `provider ${purchase.provider_key} is not allowed`);
  }
  const rails = purchase.rails.filter((r) => passes(p.allowed_rails, p.denied_rails, r));
  if (rails.length === 0) return deny(D, "rail", `none of ${purchase.rails.join(", ")} allowed`);
  if (purchase.asset !== undefined && p.currency !== null && purchase.asset !== p.currency) {
    return deny(D, "currency", `the policy spends ${p.currency}, not ${purchase.asset}`);
  }
  if (purchase.amount_minor !== undefined) {
    const refused = checkAmount(p, purchase.amount_minor, options.spent);
    if (refused) return refused;
  }
  return { allowed: true, rails };
}

/** Throws the decision's Problem when a purchase is refused. */
export function assertAllowed(decision: PolicyDecision): void {
  if (decision.allowed) return;
  throw new Problem(delegationProblems[decision.code], decision.detail, {
    extensions: { reason: decision.reason },
  });
}
