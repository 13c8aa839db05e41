import type { Tx } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import type { AccountDelta } from "./batch-store.ts";
import * as store from "./batch-store.ts";
import type { Transfer, TransferInput, TransferResult } from "./model.ts";
import { closeHold } from "./store.ts";
import { validateTransferInput } from "./validate.ts";

/** What the batch path needs of an account: fixed at creation, so it may come from a cache. */
export interface AccountMeta {
  id: string;
  asset: string;
}

/** The metas of `ids` (missing ones absent), from a cache or one query. */
export type MetasOf = (tx: Tx, ids: string[]) => Promise<Map<string, AccountMeta>>;

const MAX = limits.amount_minor_max;

/** A delta that has not moved yet. */
function zero(): AccountDelta {
  return {
    balance: 0n,
    pending_debits: 0n,
    pending_credits: 0n,
    available_low: 0n,
    balance_low: 0n,
    balance_high: 0n,
    pending_debits_low: 0n,
    pending_credits_low: 0n,
    pending_credits_high: 0n,
  };
}

/** One step of a batch on one account, with the running extremes its guard needs. */
function step(d: AccountDelta, balance: bigint, pending_debits: bigint, pending_credits: bigint) {
  d.balance += balance;
  d.pending_debits += pending_debits;
  d.pending_credits += pending_credits;
  const available = d.balance - d.pending_debits;
  if (available < d.available_low) d.available_low = available;
  if (d.balance < d.balance_low) d.balance_low = d.balance;
  if (d.balance > d.balance_high) d.balance_high = d.balance;
  if (d.pending_debits < d.pending_debits_low) d.pending_debits_low = d.pending_debits;
  if (d.pending_credits < d.pending_credits_low) d.pending_credits_low = d.pending_credits;
  if (d.pending_credits > d.pending_credits_high) d.pending_credits_high = d.pending_credits;
}

const fitsInt64 = (d: AccountDelta) =>
  [d.available_low, d.balance_low, d.pending_debits_low, d.pending_credits_low].every(
    (x) => x >= -MAX,
  ) && [d.balance_high, d.pending_credits_high].every((x) => x <= MAX);

interface Plan {
  transfers: Transfer[];
  /** Holds to close: id, final state, posted amount. */
  closes: { id: string; state: "posted" | "voided"; posted: bigint }[];
  entries: { transfer: Transfer; amount: bigint }[];
  deltas: Map<string, AccountDelta>;
}

/**
 * Plans a batch of new transfers in memory; null when anything is not plainly new and valid (a
 * replay, an unknown account or hold, a closed or expired hold, a hold closed twice): the
 * transfer-by-transfer path then gives the exact result of each.
 */
function plan(
  inputs: TransferInput[],
  known: Map<string, Transfer>,
  metas: Map<string, AccountMeta>,
  batch_id: string | null,
  now_ms: number,
): Plan | null {
  const out: Plan = { transfers: [], closes: [], entries: [], deltas: new Map() };
  const touched = new Set<string>();
  const delta = (id: string) => {
    const d = out.deltas.get(id) ?? zero();
    out.deltas.set(id, d);
    return d;
  };
  for (const input of inputs) {
    if (validateTransferInput(input) || known.has(input.id) || touched.has(input.id)) return null;
    touched.add(input.id);
    const common = {
      id: input.id,
      batch_id,
      metadata: input.metadata ?? {},
      created_at_ms: now_ms,
    };
    if (input.op === "transfer" || input.op === "hold") {
      const debit = metas.get(input.debit_account_id);
      const credit = metas.get(input.credit_account_id);
      if (debit?.asset !== input.asset || credit?.asset !== input.asset) return null;
      const hold = input.op === "hold";
      const t: Transfer = {
        ...common,
        kind: hold ? "pending" : "posted",
        state: hold ? "pending" : "posted",
        debit_account_id: debit.id,
        credit_account_id: credit.id,
        amount_minor: input.amount_minor,
        asset: input.asset,
        code: input.code,
        pending_id: null,
        timeout_at_ms: hold && input.timeout_ms !== undefined ? now_ms + input.timeout_ms : null,
        posted_amount_minor: null,
      };
      const a = input.amount_minor;
      if (hold) {
        step(delta(debit.id), 0n, a, 0n);
        step(delta(credit.id), 0n, 0n, a);
      } else {
        step(delta(debit.id), -a, 0n, 0n);
        step(delta(credit.id), a, 0n, 0n);
        out.entries.push({ transfer: t, amount: a });
      }
      out.transfers.push(t);
      continue;
    }
    const held = known.get(input.pending_id);
    if (held?.kind !== "pending" || held.state !== "pending" || touched.has(held.id)) return null;
    if (held.timeout_at_ms !== null && now_ms >= held.timeout_at_ms) return null;
    touched.add(held.id);
    const isPost = input.op === "post";
    const posted = isPost ? (input.amount_minor ?? held.amount_minor) : 0n;
    if (posted > held.amount_minor) return null;
    const t: Transfer = {
      ...common,
      kind: isPost ? "post_pending" : "void_pending",
      state: "posted",
      debit_account_id: held.debit_account_id,
      credit_account_id: held.credit_account_id,
      amount_minor: isPost ? posted : held.amount_minor,
      asset: held.asset,
      code: input.code ?? held.code,
      pending_id: held.id,
      timeout_at_ms: null,
      posted_amount_minor: null,
    };
    step(delta(held.debit_account_id), -posted, -held.amount_minor, 0n);
    step(delta(held.credit_account_id), posted, 0n, -held.amount_minor);
    out.closes.push({ id: held.id, state: isPost ? "posted" : "voided", posted });
    if (posted > 0n) out.entries.push({ transfer: t, amount: posted });
    out.transfers.push(t);
  }
  for (const d of out.deltas.values()) if (!fitsInt64(d)) return null;
  return out;
}

/**
 * A batch of new transfers in few statements: one read of the ids (replays) and holds, one
 * guarded update per account with the batch's net change (as strict as the updates it replaces),
 * one insert of the transfers and one of their entries. All or nothing: when a guard refuses
 * (funds, a concurrent twin, a hold closed meanwhile) what was written is taken back in this
 * transaction and null is returned, and the caller runs the transfer-by-transfer path for the
 * exact result codes. Accounts are updated in id order, like `inAccountOrder`, so concurrent
 * batches lock rows in the same order.
 */
export async function applyBatch(
  tx: Tx,
  inputs: TransferInput[],
  options: { batch_id: string | null; now_ms: number; metasOf: MetasOf },
): Promise<TransferResult[] | null> {
  const pending = inputs.flatMap((i) => (i.op === "post" || i.op === "void" ? [i.pending_id] : []));
  const known = await store.getTransfers(tx, [...inputs.map((i) => i.id), ...pending]);
  const accountIds = inputs.flatMap((i) =>
    i.op === "transfer" || i.op === "hold" ? [i.debit_account_id, i.credit_account_id] : [],
  );
  const metas = await options.metasOf(tx, [...new Set(accountIds)]);
  const p = plan(inputs, known, metas, options.batch_id, options.now_ms);
  if (!p) return null;
  const closed: string[] = [];
  const applied: [string, AccountDelta][] = [];
  let inserted: string[] = [];
  const undo = async () => {
    await store.deleteTransfers(tx, inserted);
    for (const [id, d] of applied) await store.undoDelta(tx, id, d);
    await store.reopenHolds(tx, closed);
    return null;
  };
  for (const c of p.closes) {
    if (!(await closeHold(tx, c.id, c.state, c.posted))) return undo();
    closed.push(c.id);
  }
  for (const id of [...p.deltas.keys()].sort()) {
    const d = p.deltas.get(id) as AccountDelta;
    if (!(await store.applyDelta(tx, id, d))) return undo();
    applied.push([id, d]);
  }
  const ids = await store.insertTransfers(tx, p.transfers);
  inserted = [...ids];
  if (ids.size !== p.transfers.length) return undo();
  await store.insertEntryLines(tx, p.entries);
  return p.transfers.map((t) => ({ id: t.id, result: "created", transfer: t }));
}
