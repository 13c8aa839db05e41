import type { SettleResponse } from "@x402/core/types";
import type { Database, Tx } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import { HUB_OWNER_ID, type Ledger, transferProblem } from "../ledger/index.ts";
import { createPipelines } from "../pipelines/index.ts";
import {
  type AuthorizationOutcome,
  claimTx,
  dropPendingPaymentId,
  endPendingSettlement,
  finishPaymentId,
  type Hex,
  type PendingSettlement,
  x402Problems,
} from "../x402/index.ts";

/**
 * The external account that carries what a pipeline's x402 advance paid out but the chain never
 * paid in: the hub's loss, kept visible instead of hidden in its main external account.
 */
export const X402_UNPAID_OWNER_ID = `${HUB_OWNER_ID}:x402-unpaid`;

/**
 * Undoes a pipeline's x402 advance that will never be paid, in the caller's transaction: what
 * is left of it in the payer's balance is withdrawn (`<advance>.v`), and whatever the job
 * already spent is written off to X402_UNPAID_OWNER_ID (`<advance>.u`). Ids keyed by the advance
 * make a replay `exists`; callers guard it with a state change so it runs once.
 */
export async function voidAdvance(
  tx: Tx,
  ledger: Ledger,
  spec: {
    owner_id: string;
    asset: string;
    advance_id: string;
    amount_minor: bigint;
    job_id: string;
  },
): Promise<{ withdrawn_minor: bigint; unpaid_minor: bigint }> {
  const account = await ledger.openAccount(tx, {
    owner_id: spec.owner_id,
    asset: spec.asset,
    kind: "available",
  });
  // bigint: Math.min does not apply.
  let withdrawn_minor = spec.amount_minor;
  if (account.available_minor < withdrawn_minor) withdrawn_minor = account.available_minor;
  const metadata = { job_id: spec.job_id };
  if (withdrawn_minor > 0n) {
    const r = await ledger.withdraw(tx, {
      id: `${spec.advance_id}.v`,
      owner_id: spec.owner_id,
      amount_minor: withdrawn_minor,
      asset: spec.asset,
      code: "x402_advance_void",
      metadata,
    });
    if (r.result !== "created" && r.result !== "exists") throw transferProblem(r);
  }
  const unpaid_minor = spec.amount_minor - withdrawn_minor;
  if (unpaid_minor > 0n) {
    const loss = await ledger.openAccount(tx, {
      owner_id: X402_UNPAID_OWNER_ID,
      asset: spec.asset,
      kind: "external",
    });
    const outside = await ledger.hubAccount(tx, spec.asset, "external");
    const r = await ledger.transfer(tx, {
      op: "transfer",
      id: `${spec.advance_id}.u`,
      debit_account_id: loss.id,
      credit_account_id: outside.id,
      amount_minor: unpaid_minor,
      asset: spec.asset,
      code: "x402_advance_unpaid",
      metadata,
    });
    if (r.result !== "created" && r.result !== "exists") throw transferProblem(r);
  }
  return { withdrawn_minor, unpaid_minor };
}

export interface PipelineReconcileDeps {
  db: Database;
  ledger: Ledger;
  clock: Clock;
  /** The ledger asset the token is booked as. */
  asset: string;
}

/** How reconciling a pipeline's payment ended (see reconcileX402Settlement). */
export type PipelineReconciled =
  | { outcome: "settled"; tx_hash: Hex }
  | { outcome: "released" }
  | { outcome: "done" }
  | { outcome: "job_running" };

/**
 * Finishes a pipeline's pending x402 settlement from what the chain said, never broadcasting.
 * Used: the settlement's transaction is claimed for the job (the advance already booked the
 * money, so nothing else moves) and the payment identifier finished. Expired unused: once the
 * job has ended, the advance is undone (voidAdvance). Each end is guarded on the pending row in
 * the transaction that books it, so two reconcilers (or two processes) act exactly once.
 */
export async function reconcilePipelinePayment(
  deps: PipelineReconcileDeps,
  p: PendingSettlement,
  seen: Extract<AuthorizationOutcome, { kind: "used" | "expired" }>,
): Promise<PipelineReconciled> {
  const now_ms = deps.clock.now_ms();
  const slot =
    p.payment_id && p.payload_sha256
      ? { id: p.payment_id, payload_sha256: p.payload_sha256 }
      : null;
  if (seen.kind === "used") {
    const settlement: SettleResponse = {
      success: true,
      transaction: seen.tx_hash,
      network: p.network as SettleResponse["network"],
      payer: p.authorizer,
    };
    const mine = await deps.db.transaction(async (tx) => {
      const spec = { order_id: p.order_id, state: "settled" as const, tx_hash: seen.tx_hash };
      if (!(await endPendingSettlement(tx, { ...spec, now_ms }))) return false;
      const claim = await claimTx(tx, {
        chain: p.network,
        tx_hash: seen.tx_hash,
        purpose: "x402",
        subject: p.order_id,
        now_ms,
      });
      if (claim.outcome === "taken") {
        throw new Problem(
          x402Problems.PAYMENT_TX_ALREADY_USED,
          `${seen.tx_hash} was already claimed by ${claim.purpose} ${claim.subject}`,
        );
      }
      if (slot) {
        await finishPaymentId(tx, {
          ...slot,
          state: "settled",
          response: settlement,
          result_json: null,
          now_ms,
        });
      }
      return true;
    });
    return mine ? { outcome: "settled", tx_hash: seen.tx_hash } : { outcome: "done" };
  }
  // The float's rest returns to the payer when the job ends: undo only after that (a job whose
  // runner died is taken over and ends after its lease).
  const job = await createPipelines({ clock: deps.clock }).find(deps.db.kysely, p.order_id);
  if (job && job.status !== "succeeded" && job.status !== "failed") {
    return { outcome: "job_running" };
  }
  const mine = await deps.db.transaction(async (tx) => {
    const spec = { order_id: p.order_id, state: "released" as const, tx_hash: null };
    if (!(await endPendingSettlement(tx, { ...spec, now_ms }))) return false;
    if (p.advance_id) {
      await voidAdvance(tx, deps.ledger, {
        owner_id: p.buyer_id,
        asset: job?.asset ?? deps.asset,
        advance_id: p.advance_id,
        amount_minor: p.amount_atomic,
        job_id: p.order_id,
      });
    }
    if (slot) await dropPendingPaymentId(tx, slot);
    return true;
  });
  return mine ? { outcome: "released" } : { outcome: "done" };
}
