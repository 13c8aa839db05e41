import {
  BaseError,
  ContractFunctionRevertedError,
  getAddress,
  isAddressEqual,
  parseAbi,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import type { Config } from "../config.ts";
import type { Database, Tx } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/logger.ts";
import { Problem } from "../kernel/problem.ts";
import type { Actor, Order, Orders, Payment } from "../orders/index.ts";
import type { HandlerOutcome, Outbox, OutboxHandler } from "../outbox/index.ts";
import {
  type EscrowAction,
  getEscrowAction,
  insertEscrowAction,
  moveEscrowAction,
  reopenEscrowAction,
} from "../x402/escrow-actions.ts";
import {
  chainIdOf,
  createChainClients,
  createEvmSigner,
  type Hex,
  x402Problems,
} from "../x402/index.ts";
import { escrowTermsOf } from "./escrow-proof.ts";
import type { Fulfilment } from "./fulfil.ts";

/** The outbox topic of an on-chain escrow release or refund (payload `{order_id}`). */
export const TOPIC_ESCROW_ACTION = "x402.escrow_action";

/** Look at a broadcast again this long after it was not mined in time. */
const RECHECK_MS = 15_000;
/** How long one handler run waits for its transaction's receipt. */
const RECEIPT_WAIT_MS = 20_000;
const RECEIPT_POLL_MS = 250;
/**
 * Blocks one log query spans when looking for the transaction that ended a lock: public RPC
 * nodes refuse (or time out on) log queries over long ranges, so the search walks forward from
 * the lock's own block in windows of this size.
 */
const LOG_WINDOW_BLOCKS_DEFAULT = 5_000n;

/**
 * The arbiter ABI an arbitrated escrow implements (docs/rails.md; test/x402/contracts): the hub
 * calls `release` or `refund` for an order's lock, once; `locks` is the truth it reconciles from.
 */
export const arbiterEscrowAbi = parseAbi([
  "function arbiter() view returns (address)",
  "function locks(bytes32 orderRef) view returns (address payer, address payee, address token, uint256 amount, uint8 state)",
  "function release(bytes32 orderRef)",
  "function refund(bytes32 orderRef)",
  "event Released(bytes32 indexed orderRef, address indexed payee, address token, uint256 amount)",
  "event Refunded(bytes32 indexed orderRef, address indexed payer, address token, uint256 amount)",
]);
/** `locks(orderRef).state`. */
const LOCK_STATE = { none: 0, locked: 1, released: 2, refunded: 3 } as const;

/** What fulfilment does with a release or refund of this payment. */
export type EscrowStep =
  | { kind: "ledger"; patch: { proof?: Record<string, unknown> } }
  | { kind: "requested" };

/** Whether the payment's money sits in an arbitrated escrow contract (a verified payee lock). */
export function isArbitratedEscrow(payment: Payment): boolean {
  return (
    payment.rail === "onchain-escrow" &&
    payment.verification === "rpc" &&
    payment.proof?.arbitrated === true
  );
}

/**
 * Called by fulfilment before a payment is released or refunded. A payment locked in an
 * arbitrated escrow does not move yet: the action is recorded and its transaction scheduled
 * (outbox, in the caller's transaction), and the payment moves only when the receipt is mined
 * with status success (`mined_tx` then names it, and is kept on the proof). Anything else moves
 * as before.
 */
export async function escrowStep(
  tx: Tx,
  deps: { clock: Clock; outbox: Pick<Outbox, "enqueue"> },
  spec: { order: Order; payment: Payment; action: "release" | "refund"; actor: Actor },
  mined_tx?: Hex,
): Promise<EscrowStep> {
  const { payment } = spec;
  if (!isArbitratedEscrow(payment)) return { kind: "ledger", patch: {} };
  if (mined_tx) {
    return {
      kind: "ledger",
      patch: { proof: { ...payment.proof, [`${spec.action}_tx_hash`]: mined_tx } },
    };
  }
  const proof = payment.proof as { chain: string; escrow_address: Hex; order_ref: Hex };
  const now_ms = deps.clock.now_ms();
  await insertEscrowAction(tx, {
    order_id: spec.order.id,
    action: spec.action,
    chain: proof.chain,
    escrow_address: proof.escrow_address,
    order_ref: proof.order_ref,
    actor_id: spec.actor.id,
    reason: spec.actor.reason,
    now_ms,
  });
  await deps.outbox.enqueue(tx, {
    topic: TOPIC_ESCROW_ACTION,
    payload: { order_id: spec.order.id },
    due_at_ms: now_ms,
    dedupe_key: `escrow_action:${spec.order.id}`,
  });
  return { kind: "requested" };
}

/**
 * An operator's retry of a failed release or refund (say, once the arbiter's wallet has gas
 * again): the action is open again and its run scheduled, in the caller's transaction. The run
 * reads the lock afresh: a lock that ended meanwhile is finished from its log, one still locked
 * is sent again; the payment moves only when that is mined.
 */
export async function retryEscrowAction(
  tx: Tx,
  deps: { clock: Clock; outbox: Pick<Outbox, "enqueue"> },
  order_id: string,
): Promise<EscrowAction> {
  const failed = await getEscrowAction(tx, order_id);
  if (!failed) {
    throw new Problem(
      x402Problems.ESCROW_ACTION_NOT_FOUND,
      `order ${order_id} has no on-chain escrow release or refund`,
    );
  }
  const now_ms = deps.clock.now_ms();
  if (!(await reopenEscrowAction(tx, order_id, now_ms))) {
    throw new Problem(
      x402Problems.ESCROW_ACTION_NOT_FAILED,
      `the ${failed.action} of order ${order_id} is ${failed.state}, not failed`,
    );
  }
  await deps.outbox.enqueue(tx, {
    topic: TOPIC_ESCROW_ACTION,
    payload: { order_id },
    due_at_ms: now_ms,
    // One run per failure retried (the first run's row keeps the plain key).
    dedupe_key: `escrow_action:${order_id}:retry:${failed.updated_at_ms}`,
  });
  return (await getEscrowAction(tx, order_id)) as EscrowAction;
}

export interface EscrowChainDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  orders: Pick<Orders, "get" | "paymentOf">;
  fulfilment: Pick<Fulfilment, "release" | "refund">;
  /** RPC per chain (AGX_EVM_RPC_URLS) and the arbiter's key (the gas wallet, AGX_X402_GAS_KEY). */
  rpc_urls: Readonly<Record<string, string>>;
  arbiter_key: Hex | null;
  /** Blocks per log query (LOG_WINDOW_BLOCKS_DEFAULT unless a test walks many windows). */
  log_window_blocks?: bigint;
}

/** What one run of an action ended in. */
export type EscrowActed =
  | { outcome: "done"; tx_hash: Hex }
  | { outcome: "failed"; code: string; detail: string }
  | { outcome: "ended" }
  | { outcome: "waiting"; reason: string };

/**
 * Sends and reconciles on-chain escrow actions as the escrow's arbiter. Truth is the chain: the
 * lock's state already at the target (our earlier broadcast, mined after a crash) finishes the
 * action with the transaction that did it; a broadcast not yet mined is waited for (never sent
 * twice while the node still knows it; the contract refuses a second release anyway). A
 * revert, a lock that ended otherwise or a contract we are not the arbiter of fail the action
 * with a code and detail, and the payment stays as it was.
 */
export function createEscrowChain(deps: EscrowChainDeps) {
  const clients = createChainClients({ rpc_urls: deps.rpc_urls });
  const window_blocks = deps.log_window_blocks ?? LOG_WINDOW_BLOCKS_DEFAULT;
  const signers = new Map<string, ReturnType<typeof createEvmSigner>>();
  function signerOf(chain: string) {
    let s = signers.get(chain);
    const url = deps.rpc_urls[chain];
    if (!s && url && deps.arbiter_key) {
      s = createEvmSigner({
        rpc_url: url,
        chain_id: chainIdOf(chain as never),
        private_key: deps.arbiter_key,
      });
      signers.set(chain, s);
    }
    return s ?? null;
  }

  /** Ends the action and moves the payment (release or refund), in one transaction, once. */
  async function finish(a: EscrowAction, tx_hash: Hex): Promise<EscrowActed> {
    const mine = await deps.db.transaction(async (tx) => {
      const now_ms = deps.clock.now_ms();
      if (!(await moveEscrowAction(tx, { order_id: a.order_id, to: "done", tx_hash, now_ms }))) {
        return false;
      }
      const order = await deps.orders.get(tx, a.order_id);
      const actor = { id: a.actor_id, reason: a.reason };
      await deps.fulfilment[a.action](tx, order, actor, { escrow_tx: tx_hash });
      return true;
    });
    return mine ? { outcome: "done", tx_hash } : { outcome: "ended" };
  }

  async function fail(a: EscrowAction, code: string, detail: string): Promise<EscrowActed> {
    const now_ms = deps.clock.now_ms();
    const moved = await moveEscrowAction(deps.db.kysely, {
      order_id: a.order_id,
      to: "failed",
      error_code: code,
      error: detail,
      now_ms,
    });
    deps.logger.error({ order_id: a.order_id, code, detail }, "on-chain escrow action failed");
    return moved ? { outcome: "failed", code, detail } : { outcome: "ended" };
  }

  /**
   * The transaction that moved the lock to its end (Released / Refunded log), or null: looked for
   * from the block of the lock the payment was verified by (nothing can end a lock before it
   * exists), a window of blocks at a time.
   */
  async function endingTx(a: EscrowAction): Promise<Hex | null> {
    const client = clients.clientOf(a.chain);
    const event = arbiterEscrowAbi.find(
      (i) => i.type === "event" && i.name === (a.action === "release" ? "Released" : "Refunded"),
    );
    const payment = await deps.orders.paymentOf(deps.db.kysely, a.order_id);
    const locked = String(payment.proof?.block_number ?? "");
    const latest = await client.getBlockNumber({ cacheTime: 0 });
    for (let from = /^[0-9]+$/.test(locked) ? BigInt(locked) : 0n; from <= latest; ) {
      const to = from + window_blocks - 1n < latest ? from + window_blocks - 1n : latest;
      const logs = await client.getLogs({
        address: getAddress(a.escrow_address),
        event: event as never,
        args: { orderRef: a.order_ref } as never,
        fromBlock: from,
        toBlock: to,
      });
      const first = logs[0] as { transactionHash?: Hex | null } | undefined;
      if (first?.transactionHash) return first.transactionHash;
      from = to + 1n;
    }
    return null;
  }

  /** The receipt of our broadcast: mined (success or not), still in flight, or unknown. */
  async function broadcastState(a: EscrowAction) {
    if (!a.tx_hash) return "none" as const;
    const client = clients.clientOf(a.chain);
    try {
      const r = await client.getTransactionReceipt({ hash: a.tx_hash });
      return r.status === "success" ? ("success" as const) : ("reverted" as const);
    } catch (error) {
      if (!(error instanceof TransactionReceiptNotFoundError)) throw error;
    }
    try {
      await client.getTransaction({ hash: a.tx_hash });
      return "in_flight" as const;
    } catch (error) {
      if (error instanceof TransactionNotFoundError) return "none" as const;
      throw error;
    }
  }

  /** Runs an order's action one step further (RPC failures throw: the outbox retries). */
  async function act(order_id: string): Promise<EscrowActed> {
    const a = await getEscrowAction(deps.db.kysely, order_id);
    if (!a || a.state === "done" || a.state === "failed") return { outcome: "ended" };
    const client = clients.clientOf(a.chain);
    const sent = await broadcastState(a);
    if (sent === "success" && a.tx_hash) return finish(a, a.tx_hash);
    if (sent === "in_flight")
      return { outcome: "waiting", reason: `${a.tx_hash} is not mined yet` };
    const address = getAddress(a.escrow_address);
    const [, , , , state] = await client.readContract({
      address,
      abi: arbiterEscrowAbi,
      functionName: "locks",
      args: [a.order_ref],
    });
    const target = a.action === "release" ? LOCK_STATE.released : LOCK_STATE.refunded;
    if (state === target) {
      const done = await endingTx(a);
      if (done) return finish(a, done);
      return { outcome: "waiting", reason: "the lock ended but its log was not found yet" };
    }
    if (sent === "reverted") {
      return fail(a, "PAYMENT_TX_FAILED", `the ${a.action} ${a.tx_hash} reverted`);
    }
    if (state !== LOCK_STATE.locked) {
      const what = state === LOCK_STATE.none ? "holds no lock" : "already ended the lock otherwise";
      return fail(a, "PAYMENT_ESCROW_LOCK_NOT_FOUND", `${address} ${what} for ${a.order_ref}`);
    }
    return send(a);
  }

  /** Broadcasts the action through the arbiter's serialized queue and waits for its receipt. */
  async function send(a: EscrowAction): Promise<EscrowActed> {
    const signer = signerOf(a.chain);
    if (!signer) {
      return fail(a, "PAYMENT_RPC_REQUIRED", `no arbiter key (AGX_X402_GAS_KEY) for ${a.chain}`);
    }
    const client = clients.clientOf(a.chain);
    const address = getAddress(a.escrow_address);
    const hub = signer.getAddresses()[0] as Hex;
    const arbiter = await client.readContract({
      address,
      abi: arbiterEscrowAbi,
      functionName: "arbiter",
    });
    if (!isAddressEqual(arbiter, hub)) {
      return fail(
        a,
        "PAYMENT_PROOF_INVALID",
        `${address}'s arbiter is ${arbiter}, not this hub's gas wallet ${hub}`,
      );
    }
    let hash: Hex;
    try {
      hash = (await signer.writeContract({
        address,
        abi: arbiterEscrowAbi,
        functionName: a.action,
        args: [a.order_ref],
      })) as Hex;
    } catch (error) {
      const revert =
        error instanceof BaseError
          ? error.walk((e) => e instanceof ContractFunctionRevertedError)
          : null;
      if (revert) return fail(a, "PAYMENT_TX_FAILED", `the ${a.action} reverts: ${revert.message}`);
      throw error;
    }
    const now_ms = deps.clock.now_ms();
    await moveEscrowAction(deps.db.kysely, {
      order_id: a.order_id,
      to: "broadcast",
      tx_hash: hash,
      now_ms,
    });
    const sent = { ...a, tx_hash: hash, state: "broadcast" as const };
    try {
      const r = await client.waitForTransactionReceipt({
        hash,
        timeout: RECEIPT_WAIT_MS,
        pollingInterval: RECEIPT_POLL_MS,
      });
      if (r.status === "success") return finish(sent, hash);
      return fail(sent, "PAYMENT_TX_FAILED", `the ${a.action} ${hash} reverted`);
    } catch (error) {
      if (error instanceof WaitForTransactionReceiptTimeoutError) {
        return { outcome: "waiting", reason: `${hash} was broadcast; its outcome is unknown` };
      }
      throw error;
    }
  }

  /** The outbox handler of TOPIC_ESCROW_ACTION. */
  const handler: OutboxHandler = async (message): Promise<HandlerOutcome> => {
    const r = await act(String(message.payload.order_id));
    if (r.outcome !== "waiting") return { outcome: "done" };
    return { outcome: "retry", reason: r.reason, retry_at_ms: deps.clock.now_ms() + RECHECK_MS };
  };

  return { act, handler };
}

export type EscrowChain = ReturnType<typeof createEscrowChain>;

/** The escrow chain on the hub's configuration. */
export function escrowChainOf(
  deps: Omit<EscrowChainDeps, "rpc_urls" | "arbiter_key"> & { config: Config },
): EscrowChain {
  const { config, ...rest } = deps;
  return createEscrowChain({
    ...rest,
    rpc_urls: escrowTermsOf(config).rpc_urls,
    arbiter_key: (config.x402_gas_key as Hex | null) ?? null,
  });
}
