import {
  createPublicClient,
  type PublicClient,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import { Problem } from "../kernel/problem.ts";
import { x402Limits } from "./limits.ts";
import type { Hex } from "./model.ts";
import { x402Problems } from "./problems.ts";
import { chainIdOf } from "./requirements.ts";
import { rpcTransport } from "./rpc-transport.ts";
import { chainOf } from "./signer.ts";

/**
 * Read-only clients of the chains this hub knows, by CAIP-2 id (`eip155:8453`). The RPC map is
 * operator configuration, trusted like the database URL. A chain without a URL is
 * PAYMENT_RPC_REQUIRED; failures of the RPC itself are the caller's to map.
 */
export function createChainClients(options: {
  rpc_urls: Readonly<Record<string, string>>;
  rpc_timeout_ms?: number;
}) {
  const clients = new Map<string, PublicClient>();
  function clientOf(chain: string): PublicClient {
    const url = options.rpc_urls[chain];
    if (!url) {
      throw new Problem(
        x402Problems.PAYMENT_RPC_REQUIRED,
        `this hub has no RPC endpoint for ${chain}; the proof can only be recorded unverified`,
      );
    }
    let client = clients.get(chain);
    if (!client) {
      const transport = rpcTransport(url, {
        timeout_ms: options.rpc_timeout_ms ?? x402Limits.rpc_timeout_ms,
      });
      client = createPublicClient({ chain: chainOf(chainIdOf(chain as never), url), transport });
      clients.set(chain, client);
    }
    return client;
  }
  return { clientOf, has: (chain: string) => options.rpc_urls[chain] !== undefined };
}

export type ChainClients = ReturnType<typeof createChainClients>;

/** A Problem for an RPC endpoint that failed or timed out (PAYMENT_RPC_ERROR, 502). */
export function rpcError(cause: unknown): Problem {
  return new Problem(x402Problems.PAYMENT_RPC_ERROR, "the chain's RPC endpoint failed", {
    cause,
  });
}

/** Runs an RPC read, mapping any failure to PAYMENT_RPC_ERROR. */
export async function rpc<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw rpcError(error);
  }
}

/**
 * The receipt of `tx_hash`, succeeded and buried under `confirmations_min` blocks, with its
 * confirmations: no receipt is PAYMENT_NOT_MINED (409), a revert PAYMENT_TX_FAILED (402), too
 * shallow PAYMENT_NOT_MINED, an RPC failure PAYMENT_RPC_ERROR (502). Reads only.
 */
export async function minedReceipt(
  client: PublicClient,
  tx_hash: Hex,
  confirmations_min: number,
): Promise<{ receipt: TransactionReceipt; confirmations: bigint }> {
  let receipt: TransactionReceipt;
  try {
    receipt = await client.getTransactionReceipt({ hash: tx_hash });
  } catch (error) {
    if (error instanceof TransactionReceiptNotFoundError) {
      throw new Problem(
        x402Problems.PAYMENT_NOT_MINED,
        `${tx_hash} is not mined (no receipt yet)`,
        {
          extensions: { tx_hash },
        },
      );
    }
    throw rpcError(error);
  }
  if (receipt.status !== "success") {
    throw new Problem(x402Problems.PAYMENT_TX_FAILED, `${tx_hash} reverted`, {
      extensions: { tx_hash, block_number: receipt.blockNumber.toString() },
    });
  }
  const head = await rpc(() => client.getBlockNumber({ cacheTime: 0 }));
  const confirmations = head - receipt.blockNumber + 1n;
  if (confirmations < BigInt(confirmations_min)) {
    throw new Problem(
      x402Problems.PAYMENT_NOT_MINED,
      `${tx_hash} has ${confirmations} of ${confirmations_min} confirmations`,
      { extensions: { confirmations: Number(confirmations), confirmations_min } },
    );
  }
  return { receipt, confirmations };
}

/** Waits for transaction receipts of one chain through ONE poller, however many are pending. */
export interface ReceiptWatcher {
  /** The receipt of `hash` once mined; WaitForTransactionReceiptTimeoutError after `timeout_ms`. */
  wait(hash: Hex, timeout_ms: number): Promise<TransactionReceipt>;
  /** Transactions being waited for (tests, metrics). */
  pending(): number;
}

interface ReceiptWaiter {
  resolve: (receipt: TransactionReceipt) => void;
  reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The waiters of one transaction. `fresh`: not asked since it arrived; `step_ms` and
 * `follow_up_at_ms`: its next follow-up ask (null once the steps reached the poll interval).
 */
interface ReceiptEntry {
  list: ReceiptWaiter[];
  fresh: boolean;
  step_ms: number;
  follow_up_at_ms: number | null;
}

/**
 * A shared receipt watcher. A receipt is asked for once at once (a chain that mines on arrival
 * answers then). A chain that mines a moment later (anvil's automine, a sequencer's next
 * mini-block) would otherwise leave the settlement waiting a whole poll interval, so a
 * transaction the first ask missed is asked again after `first_follow_up_ms`, then after twice
 * that, and so on until the steps reach the poll interval. Besides, one loop polls the head
 * every `poll_interval_ms` while anything is pending and, when the head moved (or a waiter is
 * new), asks for every pending receipt at once (one JSON-RPC batch when the client batches).
 * Per-transaction pollers would cost a head read per pending settlement per interval; this costs
 * one, plus one receipt read per new block, plus a few follow-ups per young transaction.
 */
export function createReceiptWatcher(
  client: PublicClient,
  options: {
    poll_interval_ms: number;
    /** The first follow-up after a missed immediate ask (default: no follow-ups). */
    first_follow_up_ms?: number;
    /** Asks the first, immediate question (a batching client would hold it a timer tick). */
    immediate?: PublicClient;
  },
): ReceiptWatcher {
  const waiters = new Map<Hex, ReceiptEntry>();
  let head: bigint | null = null;
  let looping = false;
  let polled_at_ms = 0;
  /** Cuts the loop's sleep short (a new waiter's first follow-up may come before its wake). */
  let nudge: (() => void) | null = null;

  async function receiptOf(hash: Hex, via = client): Promise<TransactionReceipt | null> {
    try {
      return await via.getTransactionReceipt({ hash });
    } catch (error) {
      if (error instanceof TransactionReceiptNotFoundError) return null;
      throw error;
    }
  }

  function deliver(hash: Hex, receipt: TransactionReceipt): void {
    const entry = waiters.get(hash);
    waiters.delete(hash);
    for (const w of entry?.list ?? []) {
      clearTimeout(w.timer);
      w.resolve(receipt);
    }
  }

  /** Moves a follow-up that was asked to its next, twice as far, step. */
  function stepOn(entry: ReceiptEntry, now_ms: number): void {
    entry.step_ms *= 2;
    entry.follow_up_at_ms =
      entry.step_ms < options.poll_interval_ms ? now_ms + entry.step_ms : null;
  }

  /** Asks for the receipts of `due` (in one batch when the client batches) and delivers them. */
  async function ask(due: Hex[]): Promise<void> {
    const found = await Promise.all(due.map((hash) => receiptOf(hash).catch(() => null)));
    due.forEach((hash, i) => {
      const receipt = found[i];
      if (receipt) deliver(hash, receipt);
    });
  }

  /** The pending transactions whose follow-up is due, stepped on. */
  function followUpsDue(now_ms: number): Hex[] {
    const due: Hex[] = [];
    for (const [hash, e] of waiters) {
      if (e.follow_up_at_ms === null || e.follow_up_at_ms > now_ms) continue;
      stepOn(e, now_ms);
      due.push(hash);
    }
    return due;
  }

  async function tick(): Promise<void> {
    const now = await client.getBlockNumber({ cacheTime: 0 });
    const moved = head === null || now !== head;
    head = now;
    const now_ms = Date.now();
    const due = new Set(followUpsDue(now_ms));
    for (const [hash, e] of waiters) {
      if (moved || e.fresh) due.add(hash);
      e.fresh = false;
    }
    await ask([...due]);
  }

  /** When the loop next has something to do: the regular poll, or an earlier follow-up. */
  function wakeAtMs(): number {
    let at = polled_at_ms + options.poll_interval_ms;
    for (const e of waiters.values()) {
      if (e.follow_up_at_ms !== null) at = Math.min(at, e.follow_up_at_ms);
    }
    return at;
  }

  async function loop(): Promise<void> {
    if (looping) return;
    looping = true;
    polled_at_ms = Date.now();
    try {
      while (waiters.size > 0) {
        const delay_ms = Math.max(0, wakeAtMs() - Date.now());
        await new Promise<void>((r) => {
          const timer = setTimeout(r, delay_ms);
          nudge = () => {
            clearTimeout(timer);
            r();
          };
        });
        nudge = null;
        const now_ms = Date.now();
        // A failed poll is retried at the next interval; each waiter's own timeout bounds it.
        if (now_ms >= polled_at_ms + options.poll_interval_ms) {
          polled_at_ms = now_ms;
          await tick().catch(() => undefined);
        } else {
          await ask(followUpsDue(now_ms)).catch(() => undefined);
        }
      }
    } finally {
      looping = false;
    }
  }

  async function wait(hash: Hex, timeout_ms: number): Promise<TransactionReceipt> {
    const first = await receiptOf(hash, options.immediate ?? client).catch(() => null);
    if (first) return first;
    return new Promise<TransactionReceipt>((resolve, reject) => {
      const step_ms = options.first_follow_up_ms ?? options.poll_interval_ms;
      const entry = waiters.get(hash) ?? {
        list: [],
        fresh: true,
        step_ms,
        follow_up_at_ms: step_ms < options.poll_interval_ms ? Date.now() + step_ms : null,
      };
      const waiter: ReceiptWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const e = waiters.get(hash);
          if (e) {
            e.list = e.list.filter((w) => w !== waiter);
            if (e.list.length === 0) waiters.delete(hash);
          }
          reject(new WaitForTransactionReceiptTimeoutError({ hash }));
        }, timeout_ms),
      };
      entry.list.push(waiter);
      entry.fresh = true;
      waiters.set(hash, entry);
      if (looping) nudge?.();
      else void loop();
    });
  }

  return { wait, pending: () => waiters.size };
}
