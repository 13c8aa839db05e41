import type { Executor } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import { isoOf } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { delegationLimits } from "./limits.ts";
import type { DelegationPolicy, Pairing, SpendReservation, SpendSnapshot } from "./model.ts";
import { delegationProblems } from "./problems.ts";
import * as spendStore from "./spend-store.ts";
import * as store from "./store.ts";

/** The UTC calendar day and month a moment falls in: the windows of daily and monthly limits. */
export function spendWindowsOf(now_ms: number): { day_key: string; month_key: string } {
  const iso = isoOf(now_ms);
  return { day_key: iso.slice(0, 10), month_key: iso.slice(0, 7) };
}

function refusal(p: DelegationPolicy, row: SpendSnapshot | null, amount: bigint): Problem {
  const P = delegationProblems;
  const day = row?.day_spent_minor ?? 0n;
  if (p.daily_limit_minor !== null && day + amount > p.daily_limit_minor) {
    return new Problem(P.AGENT_DAILY_LIMIT_EXCEEDED, "over today's spend limit (UTC day)", {
      extensions: { reason: "daily" },
    });
  }
  const month = row?.month_spent_minor ?? 0n;
  const reason =
    p.monthly_limit_minor !== null && month + amount > p.monthly_limit_minor ? "monthly" : "total";
  return new Problem(P.AGENT_SPEND_LIMIT_EXCEEDED, `over the ${reason} spend limit`, {
    extensions: { reason },
  });
}

/** Spend counters of pairings, moved only inside the caller's (debit) transaction. */
export function createSpend() {
  /**
   * Counts a purchase against the pairing's limits, or refuses it with AGENT_* problems. Call it
   * inside the transaction that debits the money: a refusal must abort that transaction, and a
   * rolled-back debit takes its reservation with it. 50 concurrent calls can never pass a limit.
   */
  async function reserveSpend(
    tx: Executor,
    pairing_id: string,
    asset: string,
    amount_minor: bigint,
    now_ms: number,
    options: { reference?: string } = {},
  ): Promise<SpendReservation> {
    assert(amount_minor > 0n, "a spend reservation is a positive amount");
    const reference = options.reference ?? null;
    assert(
      reference === null || reference.length <= delegationLimits.spend_reference_chars_max,
      "spend references are short ids",
    );
    const pairing = await store.getPairing(tx, pairing_id);
    if (!pairing) {
      throw new Problem(delegationProblems.AGENT_PAIRING_NOT_FOUND, `no pairing ${pairing_id}`);
    }
    if (pairing.status !== "active") throw inactive(pairing);
    const p = pairing.policy;
    checkBeforeCounting(p, asset, amount_minor, now_ms);
    const windows = spendWindowsOf(now_ms);
    await spendStore.ensureCounter(tx, pairing_id, asset, now_ms);
    const ok = await spendStore.addSpend(
      tx,
      { pairing_id, asset, amount: amount_minor, ...windows },
      {
        daily_minor: p.daily_limit_minor,
        monthly_minor: p.monthly_limit_minor,
        total_minor: p.total_budget_minor,
      },
      now_ms,
    );
    if (!ok) {
      const now = await store.getPairing(tx, pairing_id);
      if (now?.status !== "active") throw inactive(now ?? pairing);
      const row = await spendStore.getCounter(tx, pairing_id, asset);
      const snapshot = row ? spendStore.toSnapshot(row, windows.day_key, windows.month_key) : null;
      throw refusal(p, snapshot, amount_minor);
    }
    const entry: SpendReservation = {
      id: newId("spn", now_ms),
      pairing_id,
      asset,
      amount_minor,
      ...windows,
      reference,
      created_at_ms: now_ms,
    };
    await spendStore.insertEntry(tx, entry);
    return entry;
  }

  /** What the pairings spent today, this month and in total, per asset (owner view). */
  async function spendOf(ex: Executor, pairing_ids: string[], now_ms: number) {
    const { day_key, month_key } = spendWindowsOf(now_ms);
    const rows = await spendStore.countersOf(ex, pairing_ids);
    return rows.map((r) => spendStore.toSnapshot(r, day_key, month_key));
  }

  /**
   * Gives back what was reserved for `reference` (a refunded or cancelled order), in the
   * transaction of the refund; a second call releases nothing. Returns the amount released.
   */
  async function releaseSpend(tx: Executor, reference: string, now_ms: number): Promise<bigint> {
    let released = 0n;
    for (const entry of await spendStore.reservationsFor(tx, reference)) {
      if (await spendStore.releaseEntry(tx, entry, now_ms)) released += entry.amount_minor;
    }
    return released;
  }

  return { reserveSpend, releaseSpend, spendOf, reservations: spendStore.entriesOf };
}

/** What binds before the counters move: expiry, currency and the per-purchase cap. */
function checkBeforeCounting(p: DelegationPolicy, asset: string, amount: bigint, now_ms: number) {
  // Allow lists were checked at order creation (evaluatePolicy); these bind at debit time.
  const P = delegationProblems;
  if (p.expires_at_ms !== null && p.expires_at_ms <= now_ms) {
    throw new Problem(P.AGENT_POLICY_DENIED, "the policy has expired", {
      extensions: { reason: "expired" },
    });
  }
  if (p.currency !== null && p.currency !== asset) {
    throw new Problem(P.AGENT_POLICY_DENIED, `the policy spends ${p.currency}`, {
      extensions: { reason: "currency" },
    });
  }
  if (p.per_transaction_limit_minor !== null && amount > p.per_transaction_limit_minor) {
    throw new Problem(P.AGENT_SPEND_LIMIT_EXCEEDED, "over the per-transaction limit", {
      extensions: { reason: "per_transaction" },
    });
  }
}

function inactive(p: Pairing): Problem {
  return new Problem(delegationProblems.AGENT_PAIRING_INACTIVE, `pairing ${p.id} is ${p.status}`);
}
