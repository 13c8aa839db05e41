import { type Executor, num, tablesOf } from "../db/db.ts";
import type { Hex } from "./model.ts";

/**
 * On-chain escrow actions the hub sends as the escrow's arbiter: `release` (to the payee) or
 * `refund` (to the payer), one per order, ever. `pending` until broadcast, `broadcast` with its
 * hash until the receipt is known (an unknown outcome stays here and is checked again), then
 * `done` (mined, succeeded, the payment moved in the same transaction) or `failed` (nothing
 * moved; `error_code` and `error` say why). Transitions are guarded updates: of two workers
 * racing, one moves it.
 */
export interface EscrowAction {
  order_id: string;
  action: "release" | "refund";
  /** CAIP-2. */
  chain: string;
  escrow_address: Hex;
  order_ref: Hex;
  /** Who asked (the order's confirmer, refunder…), replayed onto the payment when mined. */
  actor_id: string;
  reason: string;
  state: "pending" | "broadcast" | "done" | "failed";
  tx_hash: Hex | null;
  error_code: string | null;
  error: string | null;
  attempts: number;
  created_at_ms: number;
  updated_at_ms: number;
}

type Int = number | bigint;
interface Tables {
  x402_escrow_actions: Omit<
    EscrowAction,
    "attempts" | "created_at_ms" | "updated_at_ms" | "escrow_address" | "order_ref" | "tx_hash"
  > & {
    escrow_address: string;
    order_ref: string;
    tx_hash: string | null;
    attempts: Int;
    created_at_ms: Int;
    updated_at_ms: Int;
  };
}
const q = (ex: Executor) => tablesOf<Tables>(ex);

/** Records an action (once per order: a second request is ignored); true when recorded now. */
export async function insertEscrowAction(
  ex: Executor,
  a: Pick<
    EscrowAction,
    "order_id" | "action" | "chain" | "escrow_address" | "order_ref" | "actor_id" | "reason"
  > & { now_ms: number },
): Promise<boolean> {
  const { now_ms, ...rest } = a;
  const r = await q(ex)
    .insertInto("x402_escrow_actions")
    .values({
      ...rest,
      escrow_address: a.escrow_address.toLowerCase(),
      order_ref: a.order_ref.toLowerCase(),
      state: "pending",
      tx_hash: null,
      error_code: null,
      error: null,
      attempts: 0,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
    })
    .onConflict((oc) => oc.column("order_id").doNothing())
    .executeTakeFirst();
  return num(r.numInsertedOrUpdatedRows) === 1;
}

/** The escrow action of an order, or null. */
export async function getEscrowAction(
  ex: Executor,
  order_id: string,
): Promise<EscrowAction | null> {
  const r = await q(ex)
    .selectFrom("x402_escrow_actions")
    .selectAll()
    .where("order_id", "=", order_id)
    .executeTakeFirst();
  return r ? actionOf(r) : null;
}

/**
 * Moves an open action (`pending` or `broadcast`) to `to`, guarded; false when it was no longer
 * open (another worker ended it).
 */
export async function moveEscrowAction(
  ex: Executor,
  spec: {
    order_id: string;
    to: "broadcast" | "done" | "failed";
    tx_hash?: Hex | null;
    error_code?: string | null;
    error?: string | null;
    now_ms: number;
  },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("x402_escrow_actions")
    .set((eb) => ({
      state: spec.to,
      ...(spec.tx_hash !== undefined ? { tx_hash: spec.tx_hash } : {}),
      ...(spec.error_code !== undefined ? { error_code: spec.error_code } : {}),
      ...(spec.error !== undefined ? { error: spec.error } : {}),
      attempts: eb("attempts", "+", spec.to === "broadcast" ? 1 : 0),
      updated_at_ms: spec.now_ms,
    }))
    .where("order_id", "=", spec.order_id)
    .where("state", "in", ["pending", "broadcast"])
    .executeTakeFirst();
  return num(r.numUpdatedRows) === 1;
}

function actionOf(r: Tables["x402_escrow_actions"]): EscrowAction {
  return {
    ...r,
    escrow_address: r.escrow_address as Hex,
    order_ref: r.order_ref as Hex,
    tx_hash: r.tx_hash as Hex | null,
    attempts: num(r.attempts),
    created_at_ms: num(r.created_at_ms),
    updated_at_ms: num(r.updated_at_ms),
  };
}

/** Escrow actions by order id after a cursor, optionally in one state (the operator's view). */
export async function listEscrowActions(
  ex: Executor,
  f: { state?: EscrowAction["state"]; after: string | null; limit: number },
): Promise<EscrowAction[]> {
  let query = q(ex).selectFrom("x402_escrow_actions").selectAll();
  if (f.state) query = query.where("state", "=", f.state);
  if (f.after) query = query.where("order_id", ">", f.after);
  return (await query.orderBy("order_id").limit(f.limit).execute()).map(actionOf);
}

/**
 * Opens a failed action again (an operator's retry, e.g. once the arbiter has gas): pending, with
 * no transaction and no error, so the next run reads the lock afresh and sends if it is still
 * locked. False when the action is not failed.
 */
export async function reopenEscrowAction(
  ex: Executor,
  order_id: string,
  now_ms: number,
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("x402_escrow_actions")
    .set({ state: "pending", tx_hash: null, error_code: null, error: null, updated_at_ms: now_ms })
    .where("order_id", "=", order_id)
    .where("state", "=", "failed")
    .executeTakeFirst();
  return num(r.numUpdatedRows) === 1;
}
