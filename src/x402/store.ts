import type { PendingSettlementStore } from "@x402/core/facilitator";
import type { SettleResponse } from "@x402/core/types";
import { type Executor, num, tablesOf } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";

type Int = number | bigint;

interface X402Tables {
  x402_payment_ids: {
    id: string;
    payload_sha256: string;
    state: string;
    response: string | null;
    result: string | null;
    created_at_ms: Int;
    updated_at_ms: Int;
  };
  x402_tx_claims: {
    chain: string;
    tx_hash: string;
    purpose: string;
    subject: string;
    created_at_ms: Int;
  };
  x402_pending_settlements: { key: string; tx_hash: string; created_at_ms: Int };
}

const q = (ex: Executor) => tablesOf<X402Tables>(ex);

/** What a payment identifier decided when a request arrived with it. */
export type PaymentIdReservation =
  | { outcome: "reserved" }
  | { outcome: "replay"; response: SettleResponse; result: unknown }
  | { outcome: "in_use" }
  | { outcome: "conflict" };

/**
 * Reserves a payment identifier for one payload. Race-safe: the insert is the decision, so of
 * two concurrent requests with one id exactly one reserves it. A settled id with the same
 * payload replays the first outcome; a different payload is a conflict.
 */
export async function reservePaymentId(
  ex: Executor,
  spec: { id: string; payload_sha256: string; now_ms: number },
): Promise<PaymentIdReservation> {
  const inserted = await q(ex)
    .insertInto("x402_payment_ids")
    .values({
      id: spec.id,
      payload_sha256: spec.payload_sha256,
      state: "reserved",
      response: null,
      result: null,
      created_at_ms: spec.now_ms,
      updated_at_ms: spec.now_ms,
    })
    .onConflict((oc) => oc.column("id").doNothing())
    .executeTakeFirst();
  if (num(inserted.numInsertedOrUpdatedRows) === 1) return { outcome: "reserved" };
  const row = await q(ex)
    .selectFrom("x402_payment_ids")
    .selectAll()
    .where("id", "=", spec.id)
    .executeTakeFirst();
  // Released between our insert and read: the caller may simply retry.
  if (!row) return { outcome: "in_use" };
  if (row.payload_sha256 !== spec.payload_sha256) return { outcome: "conflict" };
  if (row.state !== "settled" || row.response === null) return { outcome: "in_use" };
  return {
    outcome: "replay",
    response: JSON.parse(row.response) as SettleResponse,
    result: row.result === null ? null : JSON.parse(row.result),
  };
}

/** Records how the reserved payment ended (`settled` replays; `pending` stays in use). */
export async function finishPaymentId(
  ex: Executor,
  spec: {
    id: string;
    payload_sha256: string;
    state: "settled" | "pending";
    response: SettleResponse;
    result_json: string | null;
    now_ms: number;
  },
): Promise<boolean> {
  const updated = await q(ex)
    .updateTable("x402_payment_ids")
    .set({
      state: spec.state,
      response: JSON.stringify(spec.response),
      result: spec.result_json,
      updated_at_ms: spec.now_ms,
    })
    .where("id", "=", spec.id)
    .where("payload_sha256", "=", spec.payload_sha256)
    .where("state", "in", ["reserved", "pending"])
    .executeTakeFirst();
  return num(updated.numUpdatedRows) === 1;
}

/** Frees a reservation whose payment was refused or whose work failed (a retry may pay). */
export async function releasePaymentId(
  ex: Executor,
  spec: { id: string; payload_sha256: string },
): Promise<void> {
  await q(ex)
    .deleteFrom("x402_payment_ids")
    .where("id", "=", spec.id)
    .where("payload_sha256", "=", spec.payload_sha256)
    .where("state", "=", "reserved")
    .execute();
}

/**
 * Frees an identifier whose settlement, reconciled, never happened: left `pending` by an unknown
 * outcome, or `reserved` by a process that died before settling (its authorization has lapsed,
 * so no call can still be using it).
 */
export async function dropPendingPaymentId(
  ex: Executor,
  spec: { id: string; payload_sha256: string },
): Promise<void> {
  await q(ex)
    .deleteFrom("x402_payment_ids")
    .where("id", "=", spec.id)
    .where("payload_sha256", "=", spec.payload_sha256)
    .where("state", "in", ["pending", "reserved"])
    .execute();
}

/** Deletes identifiers older than `before_ms`; returns how many. */
export async function purgePaymentIds(ex: Executor, before_ms: number): Promise<number> {
  const r = await q(ex)
    .deleteFrom("x402_payment_ids")
    .where("created_at_ms", "<", before_ms)
    .executeTakeFirst();
  return num(r.numDeletedRows);
}

/** Outcome of claiming a transaction: first claim, the same claim again, or someone else's. */
export type TxClaim =
  | { outcome: "created" }
  | { outcome: "exists" }
  | { outcome: "taken"; purpose: string; subject: string };

/**
 * Claims a transaction hash for one subject (an order, a deposit), for ever. The primary key
 * decides races; the same subject claiming again is a replay, any other subject is refused.
 */
export async function claimTx(
  ex: Executor,
  spec: { chain: string; tx_hash: string; purpose: string; subject: string; now_ms: number },
): Promise<TxClaim> {
  const key = { chain: spec.chain, tx_hash: spec.tx_hash.toLowerCase() };
  const inserted = await q(ex)
    .insertInto("x402_tx_claims")
    .values({ ...key, purpose: spec.purpose, subject: spec.subject, created_at_ms: spec.now_ms })
    .onConflict((oc) => oc.columns(["chain", "tx_hash"]).doNothing())
    .executeTakeFirst();
  if (num(inserted.numInsertedOrUpdatedRows) === 1) return { outcome: "created" };
  const row = await q(ex)
    .selectFrom("x402_tx_claims")
    .select(["purpose", "subject"])
    .where("chain", "=", key.chain)
    .where("tx_hash", "=", key.tx_hash)
    .executeTakeFirstOrThrow();
  return row.purpose === spec.purpose && row.subject === spec.subject
    ? { outcome: "exists" }
    : { outcome: "taken", purpose: row.purpose, subject: row.subject };
}

/**
 * @x402/evm's pending-settlement store in the database: a settlement broadcast but not
 * confirmed is remembered by its signature, so a retried settle (even from another process)
 * waits for that transaction instead of broadcasting again.
 */
export function createPendingSettlementStore(ex: Executor, clock: Clock): PendingSettlementStore {
  return {
    async get(key) {
      const row = await q(ex)
        .selectFrom("x402_pending_settlements")
        .select("tx_hash")
        .where("key", "=", key)
        .executeTakeFirst();
      return row?.tx_hash;
    },
    async set(key, tx_hash) {
      await q(ex)
        .insertInto("x402_pending_settlements")
        .values({ key, tx_hash, created_at_ms: clock.now_ms() })
        .onConflict((oc) => oc.column("key").doUpdateSet({ tx_hash }))
        .execute();
    },
    async delete(key) {
      await q(ex).deleteFrom("x402_pending_settlements").where("key", "=", key).execute();
    },
  };
}
