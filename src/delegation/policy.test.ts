import { describe, expect, it } from "vitest";
import { nextPairingStatus, pairingEvents, pairingTransitions } from "./machine.ts";
import { type DelegationPolicy, type Purchase, pairingStatuses } from "./model.ts";
import { evaluatePolicy, normalisePolicy, openPolicy, policyHash } from "./policy.ts";

const now_ms = Date.UTC(2026, 0, 1, 12);
const buy = (extra: Partial<Purchase> = {}): Purchase => ({
  skill_key: "text.stats",
  service_id: "svc_1",
  provider_key: "prn_acme",
  rails: ["agx-ledger"],
  amount_minor: 1_000n,
  asset: "USDC",
  ...extra,
});
const policy = (extra: Partial<DelegationPolicy> = {}): DelegationPolicy => ({
  ...openPolicy(),
  ...extra,
});
const reason = (
  p: DelegationPolicy,
  b: Purchase,
  spent?: Parameters<typeof evaluatePolicy>[2]["spent"],
) => {
  const d = evaluatePolicy(p, b, spent ? { now_ms, spent } : { now_ms });
  return d.allowed ? "allowed" : `${d.code}:${d.reason}`;
};

describe("evaluatePolicy", () => {
  it("allows everything under an open policy", () => {
    expect(evaluatePolicy(openPolicy(), buy(), { now_ms })).toEqual({
      allowed: true,
      rails: ["agx-ledger"],
    });
  });

  it("lets deny win over allow, and matches skill prefixes written as key.*", () => {
    const p = policy({ allowed_skill_keys: ["text.*"], denied_skill_keys: ["text.summarize"] });
    expect(reason(p, buy())).toBe("allowed");
    expect(reason(p, buy({ skill_key: "text.summarize" }))).toBe("AGENT_POLICY_DENIED:skill");
    expect(reason(p, buy({ skill_key: "textile.x" }))).toBe("AGENT_POLICY_DENIED:skill");
    expect(reason(p, buy({ skill_key: "image.resize" }))).toBe("AGENT_POLICY_DENIED:skill");
  });

  it("checks service ids, provider keys and rails by their lists", () => {
    expect(reason(policy({ denied_service_ids: ["svc_1"] }), buy())).toBe(
      "AGENT_POLICY_DENIED:service",
    );
    expect(reason(policy({ allowed_service_ids: ["svc_2"] }), buy())).toBe(
      "AGENT_POLICY_DENIED:service",
    );
    expect(reason(policy({ denied_provider_keys: ["prn_acme"] }), buy())).toBe(
      "AGENT_POLICY_DENIED:provider",
    );
    expect(reason(policy({ allowed_rails: ["x402"] }), buy())).toBe("AGENT_POLICY_DENIED:rail");
  });

  it("keeps only the allowed rails of a candidate offering several (search filtering)", () => {
    const d = evaluatePolicy(
      policy({ denied_rails: ["x402"] }),
      buy({ rails: ["x402", "agx-ledger"] }),
      {
        now_ms,
      },
    );
    expect(d).toEqual({ allowed: true, rails: ["agx-ledger"] });
  });

  it("refuses another currency, an expired policy, amounts over the per-purchase cap", () => {
    const limited = policy({ currency: "USDC", per_transaction_limit_minor: 999n });
    expect(reason(limited, buy())).toBe("AGENT_SPEND_LIMIT_EXCEEDED:per_transaction");
    expect(reason(limited, buy({ amount_minor: 999n }))).toBe("allowed");
    expect(reason(policy({ currency: "USDT" }), buy())).toBe("AGENT_POLICY_DENIED:currency");
    expect(reason(policy({ expires_at_ms: now_ms }), buy())).toBe("AGENT_POLICY_DENIED:expired");
  });

  it("skips amount checks when the price is unknown (quote-required while searching)", () => {
    const { amount_minor: _a, ...unpriced } = buy();
    expect(reason(policy({ currency: "USDC", per_transaction_limit_minor: 1n }), unpriced)).toBe(
      "allowed",
    );
  });

  it("checks daily, monthly and total limits against what was spent so far", () => {
    const p = policy({
      currency: "USDC",
      daily_limit_minor: 5_000n,
      monthly_limit_minor: 20_000n,
      total_budget_minor: 50_000n,
    });
    const spent = { day_minor: 4_000n, month_minor: 4_000n, total_minor: 4_000n };
    expect(reason(p, buy(), spent)).toBe("allowed");
    expect(reason(p, buy(), { ...spent, day_minor: 4_001n })).toBe(
      "AGENT_DAILY_LIMIT_EXCEEDED:daily",
    );
    expect(reason(p, buy(), { ...spent, month_minor: 19_001n })).toBe(
      "AGENT_SPEND_LIMIT_EXCEEDED:monthly",
    );
    expect(reason(p, buy(), { ...spent, total_minor: 49_001n })).toBe(
      "AGENT_SPEND_LIMIT_EXCEEDED:total",
    );
  });
});

describe("policy normal form and hash", () => {
  it("hashes equal policies equally whatever the list order, and changes with any limit", () => {
    const a = policy({ allowed_skill_keys: ["b.x", "a.y", "a.y"], currency: "USDC" });
    const b = policy({ allowed_skill_keys: ["a.y", "b.x"], currency: "USDC" });
    expect(policyHash(a)).toBe(policyHash(b));
    expect(policyHash({ ...b, daily_limit_minor: 1n })).not.toBe(policyHash(b));
    expect(policyHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses limits without a currency and negative limits", () => {
    expect(() => normalisePolicy(policy({ daily_limit_minor: 1n }))).toThrow(/currency/);
    expect(() => normalisePolicy(policy({ currency: "USDC", total_budget_minor: -1n }))).toThrow();
  });
});

describe("the pairing state machine", () => {
  it("pauses and resumes, revokes from both, and allows nothing after revoke", () => {
    const allowed: Record<string, string> = {
      "active.pause": "paused",
      "active.revoke": "revoked",
      "paused.resume": "active",
      "paused.revoke": "revoked",
    };
    for (const status of pairingStatuses) {
      for (const event of pairingEvents) {
        expect(nextPairingStatus(status, event), `${status}.${event}`).toBe(
          allowed[`${status}.${event}`] ?? null,
        );
      }
    }
    expect(Object.keys(pairingTransitions)).toEqual([...pairingStatuses]);
  });
});
