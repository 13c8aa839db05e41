import { type Static, Type } from "@sinclair/typebox";
import type {
  DelegationPolicy,
  Pairing,
  PairingChallenge,
  SpendSnapshot,
} from "../../../delegation/index.ts";
import { delegationLimits, delegationProblems, openPolicy } from "../../../delegation/index.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { decimalToMinor, minorToDecimal } from "../../../kernel/money.ts";
import { Problem } from "../../../kernel/problem.ts";
import type { AppContext } from "../../context.ts";
import { AssetCode, DecimalAmount } from "../../schemas.ts";
import { EvmAddress } from "../machines/wire.ts";

export const PairingParams = Type.Object({
  id: Type.String({ pattern: "^mach_[0-9a-z]{26}$" }),
  pairingId: Type.String({ pattern: "^pair_[0-9a-z]{26}$" }),
});

const Entries = Type.Optional(
  Type.Array(Type.String({ minLength: 1, maxLength: delegationLimits.policy_entry_chars_max }), {
    maxItems: delegationLimits.policy_list_entries_max,
    uniqueItems: true,
  }),
);
const Limit = Type.Optional(Type.Union([DecimalAmount, Type.Null()]));

/** peaq's delegation policy, extended with provider/rail lists, monthly and total budgets. */
export const PolicyBody = Type.Object(
  {
    allowedSkillKeys: Entries,
    deniedSkillKeys: Entries,
    allowedServiceIds: Entries,
    deniedServiceIds: Entries,
    allowedProviderKeys: Entries,
    deniedProviderKeys: Entries,
    allowedRails: Entries,
    deniedRails: Entries,
    currency: Type.Optional(Type.Union([AssetCode, Type.Null()])),
    perTransactionLimit: Limit,
    dailySpendLimit: Limit,
    monthlySpendLimit: Limit,
    totalBudget: Limit,
    expiresAt: Type.Optional(Type.Union([Type.String({ format: "date-time" }), Type.Null()])),
  },
  { additionalProperties: false },
);

function decimalsOf(ctx: AppContext, asset: string | null): number | null {
  return ctx.config.assets.find((a) => a.code === asset)?.decimals ?? null;
}

/** Wire policy → module policy: decimal limits become minor units of the currency. */
export function policyOf(ctx: AppContext, b: Static<typeof PolicyBody>): DelegationPolicy {
  const currency = b.currency ?? null;
  const decimals = decimalsOf(ctx, currency);
  if (currency !== null && decimals === null) {
    throw invalid("/delegationPolicy/currency", `${currency} is not an asset this hub keeps`);
  }
  const minor = (text: string | null | undefined, field: string) => {
    if (text === undefined || text === null) return null;
    const value = decimals === null ? null : decimalToMinor(text, decimals);
    if (value === null) {
      throw invalid(
        `/delegationPolicy/${field}`,
        `needs a currency and at most ${decimals} decimals`,
      );
    }
    return value;
  };
  return {
    ...openPolicy(),
    allowed_skill_keys: b.allowedSkillKeys ?? [],
    denied_skill_keys: b.deniedSkillKeys ?? [],
    allowed_service_ids: b.allowedServiceIds ?? [],
    denied_service_ids: b.deniedServiceIds ?? [],
    allowed_provider_keys: b.allowedProviderKeys ?? [],
    denied_provider_keys: b.deniedProviderKeys ?? [],
    allowed_rails: b.allowedRails ?? [],
    denied_rails: b.deniedRails ?? [],
    currency,
    per_transaction_limit_minor: minor(b.perTransactionLimit, "perTransactionLimit"),
    daily_limit_minor: minor(b.dailySpendLimit, "dailySpendLimit"),
    monthly_limit_minor: minor(b.monthlySpendLimit, "monthlySpendLimit"),
    total_budget_minor: minor(b.totalBudget, "totalBudget"),
    expires_at_ms: b.expiresAt ? Date.parse(b.expiresAt) : null,
  };
}

function invalid(pointer: string, detail: string): Problem {
  return new Problem(delegationProblems.AGENT_POLICY_INVALID, `${pointer}: ${detail}`, {
    errors: [{ pointer, detail }],
  });
}

/** Decimal text of minor units; an asset no longer configured shows plain minor units. */
function decimal(ctx: AppContext, asset: string | null, v: bigint): string {
  return minorToDecimal(v, decimalsOf(ctx, asset) ?? 0);
}

export function policyWire(ctx: AppContext, p: DelegationPolicy) {
  const amount = (v: bigint | null) => (v === null ? null : decimal(ctx, p.currency, v));
  return {
    allowedSkillKeys: p.allowed_skill_keys,
    deniedSkillKeys: p.denied_skill_keys,
    allowedServiceIds: p.allowed_service_ids,
    deniedServiceIds: p.denied_service_ids,
    allowedProviderKeys: p.allowed_provider_keys,
    deniedProviderKeys: p.denied_provider_keys,
    allowedRails: p.allowed_rails,
    deniedRails: p.denied_rails,
    currency: p.currency,
    perTransactionLimit: amount(p.per_transaction_limit_minor),
    dailySpendLimit: amount(p.daily_limit_minor),
    monthlySpendLimit: amount(p.monthly_limit_minor),
    totalBudget: amount(p.total_budget_minor),
    expiresAt: p.expires_at_ms === null ? null : isoOf(p.expires_at_ms),
  };
}

const Money = Type.Object({ amount: Type.String(), amountMinor: Type.String() });
export const SpendWire = Type.Object({
  asset: Type.String(),
  today: Money,
  thisMonth: Money,
  total: Money,
});

export function spendWire(ctx: AppContext, s: SpendSnapshot) {
  const money = (v: bigint) => ({ amount: decimal(ctx, s.asset, v), amountMinor: v.toString() });
  return {
    asset: s.asset,
    today: money(s.day_spent_minor),
    thisMonth: money(s.month_spent_minor),
    total: money(s.total_spent_minor),
  };
}

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);

export const PairingWire = Type.Object({
  id: Type.String(),
  machineId: Type.String(),
  status: Type.String(),
  agentAddress: Type.String(),
  agentDid: Type.String(),
  agentProvider: Type.String(),
  agentRole: Type.String(),
  description: Nullable(Type.String()),
  verification: Type.Object({
    method: Type.Literal("eip191"),
    signerAddress: Type.String(),
    verifiedAt: Type.String(),
    challengeExpiresAt: Type.String(),
  }),
  delegationPolicy: Type.Record(Type.String(), Type.Unknown()),
  delegationPolicyHash: Type.String(),
  hasAuthToken: Type.Boolean(),
  tokenLastFour: Nullable(Type.String()),
  sessionId: Nullable(Type.String()),
  sessionTokenId: Nullable(Type.String()),
  sessionIssuedAt: Nullable(Type.String()),
  sessionExpiresAt: Nullable(Type.String()),
  spend: Type.Array(SpendWire),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  pairingToken: Type.Optional(
    Type.String({ description: "HS256 session JWT for x-agent-pairing-token; shown once" }),
  ),
});

export function pairingWire(
  ctx: AppContext,
  view: { pairing: Pairing; spend: SpendSnapshot[] },
  token?: string,
) {
  const p = view.pairing;
  const s = p.session;
  return {
    id: p.id,
    machineId: p.machine_id,
    status: p.status,
    agentAddress: p.agent_address,
    agentDid: p.agent_did,
    agentProvider: p.agent_provider,
    agentRole: p.agent_role,
    description: p.description,
    verification: {
      method: p.verification.method,
      signerAddress: p.verification.signer_address,
      verifiedAt: isoOf(p.verification.verified_at_ms),
      challengeExpiresAt: isoOf(p.verification.challenge_expires_at_ms),
    },
    delegationPolicy: policyWire(ctx, p.policy),
    delegationPolicyHash: p.policy_hash,
    hasAuthToken: s !== null,
    tokenLastFour: s?.token_last_four ?? null,
    sessionId: s?.id ?? null,
    sessionTokenId: s?.token_id ?? null,
    sessionIssuedAt: s ? isoOf(s.issued_at_ms) : null,
    sessionExpiresAt: s ? isoOf(s.expires_at_ms) : null,
    spend: view.spend.map((x) => spendWire(ctx, x)),
    createdAt: isoOf(p.created_at_ms),
    updatedAt: isoOf(p.updated_at_ms),
    ...(token !== undefined ? { pairingToken: token } : {}),
  };
}

/** Who the agent says it is (peaq's challenge and pairing fields). */
export const AgentFields = {
  agentAddress: EvmAddress,
  agentProvider: Type.String({
    pattern: "^[a-z0-9][a-z0-9_.-]*$",
    maxLength: delegationLimits.agent_provider_chars_max,
    examples: ["anthropic", "openai", "virtuals"],
  }),
  agentRole: Type.String({ minLength: 1, maxLength: delegationLimits.agent_role_chars_max }),
  agentDid: Type.Optional(
    Type.String({ pattern: "^did:pkh:eip155:[1-9][0-9]{0,18}:0x[0-9a-fA-F]{40}$" }),
  ),
};

export function agentSpecOf(b: {
  agentAddress: string;
  agentProvider: string;
  agentRole: string;
  agentDid?: string;
}) {
  return {
    agent_address: b.agentAddress,
    agent_provider: b.agentProvider,
    agent_role: b.agentRole,
    agent_did: b.agentDid ?? null,
  };
}

export const PairingChallengeWire = Type.Object({
  challengeId: Type.String(),
  machineId: Type.String(),
  purpose: Type.String(),
  pairingId: Nullable(Type.String()),
  agentAddress: Type.String(),
  agentDid: Type.String(),
  message: Type.String({ description: "Sign exactly this text with EIP-191 personal_sign" }),
  expiresAt: Type.String(),
});

export function pairingChallengeWire(c: PairingChallenge) {
  return {
    challengeId: c.id,
    machineId: c.machine_id,
    purpose: c.purpose,
    pairingId: c.pairing_id,
    agentAddress: c.agent_address,
    agentDid: c.agent_did,
    message: c.message,
    expiresAt: isoOf(c.expires_at_ms),
  };
}
