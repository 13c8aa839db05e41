import type { Database, Tx } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import type { Logger } from "../kernel/logger.ts";
import { Problem } from "../kernel/problem.ts";
import { type Ledger, transferProblem } from "../ledger/index.ts";
import type { Outbox } from "../outbox/index.ts";
import { issueJobToken, type PipelineJob, type PipelineNode } from "../pipelines/index.ts";
import {
  authorizationOf,
  type ChainClients,
  caip2Of,
  claimTx,
  type Hex,
  notePendingSettlementTx,
  type VerifiedPayment,
  x402Problems,
} from "../x402/index.ts";
import type { PipelineFlows, PipelineRequest, ResolvedCapability } from "./pipeline.ts";
import { voidAdvance } from "./pipeline-x402-reconcile.ts";
import { endWrittenAhead, headOf, schedulePendingSettlement } from "./x402-reconcile.ts";

export interface X402PipelineDeps {
  db: Database;
  ledger: Ledger;
  clock: Clock;
  logger: Logger;
  flows: Pick<PipelineFlows, "submit" | "run" | "wait" | "view">;
  /** Schedules the reconciliation of the settlement (written ahead), and cancels it. */
  outbox: Pick<Outbox, "enqueue" | "cancel">;
  /** The chain's RPC, when known: bounds the later search for a pending settlement. */
  chains?: ChainClients;
  /** The ledger asset the token is booked as. */
  asset: string;
}

/** How long to wait for the job before the authorization could lapse, and at most. */
const VALIDITY_MARGIN_MS = 10_000;
const WAIT_MS_MAX = 5 * 60 * 1000;

/**
 * A pipeline paid with x402 (the payment verified by the gate, for exactly the pipeline's quote).
 * The authorization cannot move money before it is settled, and settling comes after the work;
 * so the verified amount is advanced on the ledger (a deposit keyed by the payload: one
 * authorization funds one job, a concurrent replay is refused), funds the job's float in the
 * transaction that submits it, and the job runs to its end (the answer waits for it).
 *
 * Then: a job in which no step delivered is never settled — the advance is withdrawn again and
 * the authorization simply expires. A job that delivered is settled once (the whole authorized
 * amount; what it did not spend was refunded into the payer's hub balance when it ended), and the
 * settlement's transaction is claimed for the job so it cannot be proven again as a deposit.
 * A settlement that fails undoes the advance (X402_SETTLEMENT_FAILED); an unknown outcome is
 * X402_SETTLEMENT_PENDING, never broadcast again, and reconciled from the chain later (settled
 * once, or the advance undone once the authorization expired unused).
 *
 * The settlement's reconciliation is written ahead, with the advance: should this process die
 * before the payment's end is booked, the reconciler claims the settlement from chain, or undoes
 * the advance once the authorization lapsed unused and the job ended. Each ending here ends that
 * record first, guarded, so the reconciler and a slow call never both act.
 *
 * A key-less payer (`issue_job_token`) gets a job access token in the same transaction as the
 * job; it is returned here once (for the 202 or the pending problem) and kept only hashed.
 */
export async function runPipelineWithX402(
  deps: X402PipelineDeps,
  spec: {
    request: PipelineRequest;
    payment: VerifiedPayment;
    resolve: (tx: Tx, node: PipelineNode) => Promise<ResolvedCapability>;
    /** The payer has no key: issue a token to follow the job with. */
    issue_job_token?: boolean;
  },
): Promise<{
  job_id: string;
  page: Awaited<ReturnType<PipelineFlows["view"]>>["page"];
  headers: Record<string, string>;
  /** The job's access token (shown this once), for a key-less payer. */
  job_token: string | null;
}> {
  const { payment, request } = spec;
  const advance_id = `x402adv:${sha256Hex(canonicalJson(payment.payload)).slice(0, 48)}`;
  let job: PipelineJob;
  let job_token: string | null = null;
  // Where a later search for the settlement may start (a head read in the last seconds will do).
  const from_block = await headOf(deps.chains, caip2Of(payment.network), { recent: true });
  // Whether the reconciliation was written ahead (not for a payment without an EIP-3009
  // authorization: its endings then act unguarded).
  let ahead = false;
  try {
    job = await deps.db.transaction(async (tx) => {
      const d = await deps.ledger.deposit(tx, {
        id: advance_id,
        owner_id: request.owner_id,
        amount_minor: payment.amount_atomic,
        asset: deps.asset,
        code: "x402_advance",
        metadata: { rail: "x402", network: payment.network, payer: payment.payer },
      });
      if (d.result === "exists") {
        throw new Problem(
          x402Problems.X402_PAYMENT_INVALID,
          "this authorization already pays for another pipeline",
        );
      }
      if (d.result !== "created") throw transferProblem(d);
      // The payment is the idempotency: a job is never found by key here, always made.
      const made = await deps.flows.submit(tx, { ...request, client_key: null }, spec.resolve);
      if (!made.created || made.job.quoted_minor !== payment.amount_atomic) {
        throw new Problem(
          x402Problems.X402_PAYMENT_INVALID,
          "the payment does not match the pipeline's quote",
        );
      }
      if (spec.issue_job_token) {
        job_token = await issueJobToken(tx, made.job, deps.clock.now_ms());
      }
      ahead = await schedulePendingSettlement(tx, deps, {
        order_id: made.job.id,
        buyer_id: request.owner_id,
        payment,
        settlement: null,
        from_block,
        subject: "pipeline",
        advance_id,
      });
      return made.job;
    });
  } catch (error) {
    await payment.cancel();
    throw error;
  }

  void deps.flows.run(job.id);
  await deps.flows.wait(job.id, waitMsOf(deps.clock, payment));
  const { job: now, page } = await deps.flows.view(deps.db.kysely, job.id, job.owner_id);
  const delivered = now.status === "running" || (now.spent_minor ?? 0n) > 0n;
  const end = { ahead, advance_id };
  if (!delivered && (await withdrawAdvance(deps, now, end, "all"))) {
    await payment.cancel();
    return { job_id: job.id, page, headers: {}, job_token };
  }

  const settled = await payment.settle({ result: page.result ?? null });
  if (settled.status === "settled") {
    await deps.db.transaction(async (tx) => {
      const tx_hash = settled.response.transaction as Hex;
      const ended = { order_id: job.id, state: "settled" as const, tx_hash };
      // A reconciler that found it on chain first claimed it already.
      if (ahead && !(await endWrittenAhead(tx, deps, ended))) return;
      const claim = await claimTx(tx, {
        chain: caip2Of(settled.response.network),
        tx_hash: settled.response.transaction,
        purpose: "x402",
        subject: job.id,
        now_ms: deps.clock.now_ms(),
      });
      if (claim.outcome === "taken") {
        deps.logger.error({ job_id: job.id, claim }, "x402 settlement already claimed");
      }
    });
    return { job_id: job.id, page, headers: settled.headers, job_token };
  }
  const extensions = { job_id: job.id, ...(job_token ? { job_token } : {}) };
  if (settled.status === "failed") {
    await withdrawAdvance(deps, now, end, "what_is_left");
    throw new Problem(
      x402Problems.X402_SETTLEMENT_FAILED,
      `the payment could not be settled (${settled.response.errorReason ?? "unknown"})`,
      { headers: settled.headers, extensions },
    );
  }
  // Until the chain says how it ended the advance stays; the reconciler (x402-reconcile.ts)
  // claims the settlement once, or undoes the advance once the authorization expired unused.
  const sent = settled.response.transaction;
  if (ahead && /^0x[0-9a-fA-F]{64}$/.test(sent)) {
    const note = { order_id: job.id, tx_hash: sent as Hex, now_ms: deps.clock.now_ms() };
    await deps.db.transaction((tx) => notePendingSettlementTx(tx, note));
  }
  throw new Problem(
    x402Problems.X402_SETTLEMENT_PENDING,
    "the settlement was broadcast but not confirmed in time; it will not be sent again",
    { headers: settled.headers, extensions },
  );
}

/** Until shortly before the authorization lapses, within WAIT_MS_MAX. */
function waitMsOf(clock: Clock, payment: VerifiedPayment): number {
  const auth = authorizationOf(payment.payload);
  if (!auth) return WAIT_MS_MAX;
  const left_ms = Number(auth.valid_before) * 1000 - clock.now_ms() - VALIDITY_MARGIN_MS;
  return Math.max(1_000, Math.min(WAIT_MS_MAX, left_ms));
}

/**
 * Takes the unsettled advance back out of the payer's balance (`all`), or undoes it after the
 * job spent some of it (`what_is_left`: see voidAdvance), ending the record written ahead in
 * the same transaction (a reconciler that ended it first undid the advance already). False when
 * `all` is no longer there (the payer used the refund meanwhile): then the payment is settled
 * instead.
 */
async function withdrawAdvance(
  deps: X402PipelineDeps,
  job: PipelineJob,
  end: { ahead: boolean; advance_id: string },
  how: "all" | "what_is_left",
): Promise<boolean> {
  const { advance_id } = end;
  const released = { order_id: job.id, state: "released" as const, tx_hash: null };
  return deps.db.transaction(async (tx) => {
    if (how === "what_is_left") {
      if (end.ahead && !(await endWrittenAhead(tx, deps, released))) return true;
      await voidAdvance(tx, deps.ledger, {
        owner_id: job.owner_id,
        asset: job.asset,
        advance_id,
        amount_minor: job.quoted_minor,
        job_id: job.id,
      });
      return true;
    }
    const account = await deps.ledger.openAccount(tx, {
      owner_id: job.owner_id,
      asset: job.asset,
      kind: "available",
    });
    // All of it or nothing: a partial void would leave the payment half settled.
    if (account.available_minor < job.quoted_minor) return false;
    if (end.ahead && !(await endWrittenAhead(tx, deps, released))) return true;
    const r = await deps.ledger.withdraw(tx, {
      id: `${advance_id}.v`,
      owner_id: job.owner_id,
      amount_minor: job.quoted_minor,
      asset: job.asset,
      code: "x402_advance_void",
      metadata: { job_id: job.id },
    });
    return r.result === "created" || r.result === "exists";
  });
}
