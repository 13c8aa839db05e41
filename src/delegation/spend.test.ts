import { expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { isProblem } from "../kernel/problem.ts";
import { expectProblem, newAccount } from "../machines/testing.ts";
import { delegationMigrations } from "./migrations.ts";
import type { DelegationPolicy } from "./model.ts";
import { openPolicy } from "./policy.ts";
import { pairAgent, testDelegation } from "./testing.ts";

const DAY_MS = 86_400_000;

describeStores(
  "spend reservations under a delegation policy",
  (store) => {
    const clock = manualClock(Date.UTC(2026, 0, 31, 23, 0));
    const delegation = testDelegation(clock);
    const owner = "prn_owner";
    const limited = (extra: Partial<DelegationPolicy>): DelegationPolicy => ({
      ...openPolicy(),
      currency: "USDC",
      ...extra,
    });
    const paired = async (policy: DelegationPolicy) => {
      const m = `mach_${Math.random().toString(36).slice(2, 12)}`;
      return (await pairAgent(delegation, store.db, m, owner, newAccount(), policy)).pairing;
    };
    const reserve = (pairing_id: string, amount: bigint, asset = "USDC") =>
      store.db.transaction((tx) =>
        delegation.reserveSpend(tx, pairing_id, asset, amount, clock.now_ms()),
      );
    const outcome = (work: Promise<unknown>) =>
      work.then(
        () => "ok",
        (e: unknown) => (isProblem(e) ? e.code : String(e)),
      );

    it("lets exactly 10 of 50 parallel purchases through a 10-purchase daily limit", async () => {
      const p = await paired(limited({ daily_limit_minor: 10_000n }));
      const results = await Promise.all(
        Array.from({ length: 50 }, () => outcome(reserve(p.id, 1_000n))),
      );
      expect(results.filter((r) => r === "ok")).toHaveLength(10);
      expect(results.filter((r) => r === "AGENT_DAILY_LIMIT_EXCEEDED")).toHaveLength(40);
      const [snapshot] = await delegation.spendOf(store.db.kysely, [p.id], clock.now_ms());
      expect(snapshot?.day_spent_minor).toBe(10_000n);
      expect(await delegation.reservations(store.db.kysely, p.id, 100)).toHaveLength(10);
    });

    it("lets exactly 7 of 50 parallel purchases through a total budget", async () => {
      const p = await paired(limited({ total_budget_minor: 7_000n }));
      const results = await Promise.all(
        Array.from({ length: 50 }, () => outcome(reserve(p.id, 1_000n))),
      );
      expect(results.filter((r) => r === "ok")).toHaveLength(7);
      expect(results.filter((r) => r === "AGENT_SPEND_LIMIT_EXCEEDED")).toHaveLength(43);
    });

    it("starts a new UTC day from zero but keeps counting the month and the total", async () => {
      const p = await paired(
        limited({
          daily_limit_minor: 3_000n,
          monthly_limit_minor: 5_000n,
          total_budget_minor: 9_000n,
        }),
      );
      await reserve(p.id, 3_000n);
      await expectProblem(reserve(p.id, 1n), "AGENT_DAILY_LIMIT_EXCEEDED");
      clock.advance(DAY_MS); // 1 February: a new day and a new month
      await reserve(p.id, 3_000n);
      await expectProblem(reserve(p.id, 1n), "AGENT_DAILY_LIMIT_EXCEEDED");
      clock.advance(DAY_MS);
      await reserve(p.id, 2_000n);
      const monthly = await reserve(p.id, 1_000n).catch((e: unknown) => e);
      expect(monthly).toMatchObject({
        code: "AGENT_SPEND_LIMIT_EXCEEDED",
        extensions: { reason: "monthly" },
      });
      const [s] = await delegation.spendOf(store.db.kysely, [p.id], clock.now_ms());
      expect(s).toMatchObject({
        day_spent_minor: 2_000n,
        month_spent_minor: 5_000n,
        total_spent_minor: 8_000n,
      });
    });

    it("refuses over the per-purchase cap, in another currency, or once expired", async () => {
      const p = await paired(limited({ per_transaction_limit_minor: 500n }));
      await expectProblem(reserve(p.id, 501n), "AGENT_SPEND_LIMIT_EXCEEDED");
      await expectProblem(reserve(p.id, 100n, "USDT"), "AGENT_POLICY_DENIED");
      const soon = await paired(limited({ expires_at_ms: clock.now_ms() + 1_000 }));
      await reserve(soon.id, 100n);
      clock.advance(1_000);
      await expectProblem(reserve(soon.id, 100n), "AGENT_POLICY_DENIED");
    });

    it("refuses spending on a paused or revoked pairing", async () => {
      const p = await paired(openPolicy());
      await store.db.transaction((tx) =>
        delegation.update(tx, p.machine_id, p.id, { status: "paused" }),
      );
      await expectProblem(reserve(p.id, 1n), "AGENT_PAIRING_INACTIVE");
      await store.db.transaction((tx) => delegation.revoke(tx, p.machine_id, p.id));
      await expectProblem(reserve(p.id, 1n), "AGENT_PAIRING_INACTIVE");
    });

    it("takes the reservation back when the debit's transaction rolls back", async () => {
      const p = await paired(limited({ daily_limit_minor: 1_000n }));
      await store.db
        .transaction(async (tx) => {
          await delegation.reserveSpend(tx, p.id, "USDC", 1_000n, clock.now_ms());
          throw new Error("the debit failed");
        })
        .catch(() => {});
      expect(await outcome(reserve(p.id, 1_000n))).toBe("ok");
    });

    it("counts each asset separately when the policy has no currency", async () => {
      const p = await paired(openPolicy());
      await reserve(p.id, 5n, "USDC");
      await reserve(p.id, 7n, "USDT");
      const spent = await delegation.spendOf(store.db.kysely, [p.id], clock.now_ms());
      expect(spent.map((s) => [s.asset, s.day_spent_minor])).toEqual([
        ["USDC", 5n],
        ["USDT", 7n],
      ]);
    });
  },
  { migrations: delegationMigrations },
);
