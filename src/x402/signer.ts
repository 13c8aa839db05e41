import { type FacilitatorEvmSigner, toFacilitatorEvmSigner } from "@x402/evm";
import {
  type Abi,
  type Chain,
  createPublicClient,
  defineChain,
  encodeFunctionData,
  HttpRequestError,
  keccak256,
  type PublicClient,
  TimeoutError,
  TransactionNotFoundError,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createReceiptWatcher, type ReceiptWatcher } from "./chain.ts";
import { x402Limits } from "./limits.ts";
import type { Hex } from "./model.ts";
import { rpcTransport } from "./rpc-transport.ts";

/** Runs async work one at a time, in call order; a failure does not block what follows. */
export function createSerialQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return function run<T>(work: () => Promise<T>): Promise<T> {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** Where and as whom the in-process facilitator broadcasts settlements. */
export interface EvmSignerOptions {
  rpc_url: string;
  chain_id: number;
  /** The gas wallet's key (0x + 64 hex). It pays gas only; payments go to `pay_to`. */
  private_key: Hex;
  rpc_timeout_ms?: number;
  receipt_timeout_ms?: number;
}

/** A minimal viem chain for an id: only the RPC URL matters to signing and sending. */
export function chainOf(chain_id: number, rpc_url: string): Chain {
  return defineChain({
    id: chain_id,
    name: `eip155:${chain_id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpc_url] } },
  });
}

/** A contract call as `writeContract` receives it, without a data suffix. */
export interface ContractCall {
  address: Hex;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

/** The in-process facilitator's signer, and an early start for a settlement's pre-flight. */
export interface EvmSigner extends FacilitatorEvmSigner {
  /**
   * Starts the gas estimate (the pre-flight) of a call `writeContract` is about to be asked for,
   * so it runs while the scheme re-checks the payment; `writeContract` of the same calldata then
   * takes it instead of estimating again. A start nobody claims expires.
   */
  preflight(call: ContractCall): void;
}

type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint };

/**
 * The send side of one key on one chain: a queue, the next nonce it will use (null: read it
 * from the chain first), and the fee quotes its transactions share.
 */
interface Broadcaster {
  run: ReturnType<typeof createSerialQueue>;
  next_nonce: number | null;
  fees: { at_ms: number; fees: Promise<Fees> } | null;
}

/**
 * One broadcaster per key and chain per process, whatever signers are made for it and through
 * whatever RPC endpoint (the x402 settlement signer and the escrow arbiter may share a key over
 * two URLs of one node): two queues for one key would race for its nonces again. (Several
 * processes need several keys.)
 */
const broadcasters = new Map<string, Broadcaster>();

/**
 * One receipt watcher per key, chain and RPC endpoint: it reads through the endpoint it was
 * built with, so a signer on another endpoint (a new URL for the node) never waits on the old.
 */
const watchers = new Map<string, ReceiptWatcher>();

/** A Map bounded in size (oldest out first) whose entries expire after `ttl_ms`. */
function expiringMap<V>(max: number, ttl_ms: number) {
  const m = new Map<string, { at_ms: number; value: V }>();
  return {
    /** The value, when younger than `max_age_ms` (default: the map's TTL). */
    get(key: string, max_age_ms = ttl_ms): V | undefined {
      const hit = m.get(key);
      if (hit && Date.now() - hit.at_ms <= max_age_ms) return hit.value;
      if (hit) m.delete(key);
      return undefined;
    },
    set(key: string, value: V): void {
      m.delete(key);
      m.set(key, { at_ms: Date.now(), value });
      if (m.size > max) m.delete(m.keys().next().value as string);
    },
    delete: (key: string) => m.delete(key),
  };
}

/**
 * True when a send's fate is unknown (no JSON-RPC answer: timeout, connection or HTTP failure),
 * as opposed to a node answering that it refuses the transaction.
 */
function isDeliveryUnknown(error: unknown): boolean {
  return error instanceof HttpRequestError || error instanceof TimeoutError;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The facilitator's signer over viem, built for one RPC round trip per step of a payment:
 *
 * - the payer's code (EOA or contract), asked 4 times per payment, is remembered a while;
 * - a settlement is estimated once, as its pre-flight (a payer who spent the balance since
 *   verify is refused there rather than mined as a revert that burns the hub's gas), and
 *   signed here: no per-transaction fill, nonce, chain id or fee reads as viem's
 *   `writeContract` makes them;
 * - fee quotes are shared for `fee_cache_ttl_ms` with a cap of twice the base fee;
 * - transactions are signed here with a nonce from ONE queue per key (concurrent settlements
 *   would otherwise read the same pending nonce and all but one fail, "nonce too low"); the
 *   queue holds only while a transaction is handed to the node, so settlements pipeline and
 *   their receipts are awaited together through one shared watcher;
 * - the nonce is re-read from the chain after a refused send, a send whose arrival is unknown,
 *   or a transaction the node no longer knows (dropped), so a gap cannot stall later ones.
 */
export function createEvmSigner(options: EvmSignerOptions): EvmSigner {
  const account = privateKeyToAccount(options.private_key);
  const chain = chainOf(options.chain_id, options.rpc_url);
  const timeout_ms = options.rpc_timeout_ms ?? x402Limits.rpc_timeout_ms;
  const transport = rpcTransport(options.rpc_url, { timeout_ms });
  const pub = createPublicClient({ chain, transport }) as PublicClient;
  const key = `${options.chain_id}:${account.address}`;
  let sender = broadcasters.get(key);
  if (!sender) {
    sender = { run: createSerialQueue(), next_nonce: null, fees: null };
    broadcasters.set(key, sender);
  }
  const watcherKey = `${key}:${options.rpc_url}`;
  let watcher = watchers.get(watcherKey);
  if (!watcher) {
    // Receipts of all pending settlements are read in one JSON-RPC batch per new block.
    const batched = createPublicClient({
      chain,
      transport: rpcTransport(options.rpc_url, { timeout_ms, batch: true }),
    }) as PublicClient;
    watcher = createReceiptWatcher(batched, {
      poll_interval_ms: x402Limits.receipt_poll_interval_ms,
      first_follow_up_ms: x402Limits.receipt_first_follow_up_ms,
      immediate: pub,
    });
    watchers.set(watcherKey, watcher);
  }
  const w = watcher;
  const s = sender;
  const codes = expiringMap<{ code: Hex | undefined }>(
    x402Limits.code_cache_entries_max,
    x402Limits.code_cache_ttl_ms,
  );
  const preflights = expiringMap<Promise<bigint>>(
    x402Limits.preflights_max,
    x402Limits.preflight_ttl_ms,
  );
  const callKey = (address: Hex, data: Hex) => `${address.toLowerCase()}|${data}`;

  /** Fee quotes shared by every settlement for a while; a failed quote is not kept. */
  function fees(): Promise<Fees> {
    if (s.fees && Date.now() - s.fees.at_ms <= x402Limits.fee_cache_ttl_ms) return s.fees.fees;
    const quote = (async (): Promise<Fees> => {
      const [block, tip] = await Promise.all([
        pub.getBlock({ blockTag: "latest" }),
        pub
          .request({ method: "eth_maxPriorityFeePerGas" })
          .then((hex) => BigInt(hex))
          .catch(() => null),
      ]);
      const base = block.baseFeePerGas;
      if (base === null || base === undefined) return { gasPrice: await pub.getGasPrice() };
      const priority = tip ?? 0n;
      return { maxFeePerGas: base * 2n + priority, maxPriorityFeePerGas: priority };
    })();
    const entry = { at_ms: Date.now(), fees: quote };
    s.fees = entry;
    quote.catch(() => {
      if (s.fees === entry) s.fees = null;
    });
    return quote;
  }

  /** Signs with the next nonce and hands the transaction to the node, in queue order. */
  async function broadcast(tx: { to: Hex; data: Hex; gas: bigint }): Promise<Hex> {
    const fee = await fees();
    return s.run(async () => {
      for (let attempt = 0; ; attempt++) {
        const nonce =
          s.next_nonce ??
          (await pub.getTransactionCount({ address: account.address, blockTag: "pending" }));
        const raw = await account.signTransaction({
          chainId: options.chain_id,
          to: tx.to,
          data: tx.data,
          gas: tx.gas,
          nonce,
          value: 0n,
          ...("gasPrice" in fee ? { type: "legacy" as const, gasPrice: fee.gasPrice } : fee),
        } as never);
        const hash = keccak256(raw);
        try {
          await pub.request({ method: "eth_sendRawTransaction", params: [raw] });
          s.next_nonce = nonce + 1;
          return hash;
        } catch (error) {
          s.next_nonce = null;
          // It may have reached the node: answer its hash and let the receipt tell (a timeout
          // there is settlement_pending, reconciled from chain), never send it a second time.
          if (isDeliveryUnknown(error)) return hash;
          if (/already known/i.test(message(error))) return hash;
          // Another sender used this key's nonce: the node refused it; read it again, once.
          if (attempt === 0 && /nonce too low|nonce.*already.*used/i.test(message(error))) continue;
          throw error;
        }
      }
    });
  }

  /**
   * The gas a call needs, estimated now with a margin: the estimate is also the last
   * simulation before broadcasting (state may have moved since verify: a payer who spent the
   * balance meanwhile is refused here, not mined as a revert that burns the hub's gas).
   */
  async function gasOf(estimate: Promise<bigint>): Promise<bigint> {
    const gas = await estimate;
    return gas + (gas * BigInt(x402Limits.settle_gas_margin_percent)) / 100n;
  }

  async function waitForReceipt(hash: Hex, timeout_ms: number) {
    try {
      return await w.wait(hash, timeout_ms);
    } catch (error) {
      if (error instanceof WaitForTransactionReceiptTimeoutError) {
        // Dropped from the node (not merely slow)? Then its nonce is free again.
        await pub.getTransaction({ hash }).catch((e) => {
          if (e instanceof TransactionNotFoundError) s.next_nonce = null;
        });
      }
      throw error;
    }
  }

  /** The gas of `call` with its margin; throws the contract's revert (nothing is sent). */
  function estimate(call: ContractCall): Promise<bigint> {
    return gasOf(
      pub.estimateContractGas({ ...call, account: account.address } as never) as Promise<bigint>,
    );
  }

  function preflight(call: ContractCall): void {
    const key = callKey(call.address, encodeFunctionData(call as never));
    // Already started (by `prepare`, as the work began) and young enough to be claimed fresh
    // by the broadcast that follows: that one is kept.
    if (preflights.get(key, x402Limits.preflight_ttl_ms / 2)) return;
    const gas = estimate(call);
    preflights.set(key, gas);
    // Unclaimed, its failure is nobody's, and it is dropped: a broadcast then estimates again
    // rather than fail on an earlier error (a timeout while the work ran). Claimed,
    // writeContract awaits it and sees the error.
    gas.catch(() => {
      if (preflights.get(key) === gas) preflights.delete(key);
    });
  }

  type WriteArgs = Parameters<FacilitatorEvmSigner["writeContract"]>[0];
  async function writeContract(args: WriteArgs): Promise<Hex> {
    const call = {
      address: args.address,
      abi: args.abi as Abi,
      functionName: args.functionName,
      args: args.args,
    };
    const encoded = encodeFunctionData(call as never);
    const data = (args.dataSuffix ? `${encoded}${args.dataSuffix.slice(2)}` : encoded) as Hex;
    let gas = args.gas;
    if (gas === undefined) {
      const key = callKey(args.address, encoded);
      const started = preflights.get(key);
      preflights.delete(key);
      gas = await (started ?? estimate(call));
    }
    return broadcast({ to: args.address, data, gas });
  }

  async function getCode(args: { address: Hex }): Promise<Hex | undefined> {
    const k = args.address.toLowerCase();
    const known = codes.get(k);
    if (known) return known.code;
    const code = await pub.getCode(args);
    codes.set(k, { code });
    return code;
  }

  const signer = toFacilitatorEvmSigner(
    {
      address: account.address,
      readContract: (args) => pub.readContract({ ...args, abi: args.abi as Abi }),
      verifyTypedData: (args) => pub.verifyTypedData(args as never),
      getCode,
      waitForTransactionReceipt: (args: { hash: Hex; timeout?: number }) =>
        waitForReceipt(
          args.hash,
          args.timeout ?? options.receipt_timeout_ms ?? x402Limits.settle_receipt_timeout_ms,
        ),
      writeContract,
      sendTransaction: async (args) =>
        broadcast({
          to: args.to,
          data: args.data,
          gas: await gasOf(
            pub.estimateGas({ account: account.address, to: args.to, data: args.data }),
          ),
        }),
    },
    { confirmationTimeoutMs: options.receipt_timeout_ms ?? x402Limits.settle_receipt_timeout_ms },
  );
  return { ...signer, preflight };
}
