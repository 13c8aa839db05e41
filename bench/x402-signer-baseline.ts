/**
 * The in-process facilitator's signer as it was before its receipt polling interval was set
 * (viem's default for a chain without a block time: 4 s): the baseline of bench/x402-settle.ts.
 * Not used by the hub.
 */
import { type FacilitatorEvmSigner, toFacilitatorEvmSigner } from "@x402/evm";
import {
  type Abi,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { x402Limits } from "../src/x402/limits.ts";
import type { Hex } from "../src/x402/model.ts";

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

/** The send side of one key on one chain: a queue and the next nonce it will use. */
interface Broadcaster {
  run: ReturnType<typeof createSerialQueue>;
  next_nonce: number | null;
}

/**
 * One broadcaster per key and chain per process, whatever signers are made for it: two queues
 * for one key would race for its nonces again. (Several processes need several keys.)
 */
const broadcasters = new Map<string, Broadcaster>();

/**
 * The facilitator's signer over viem. Every broadcast of one key goes through ONE queue that
 * also assigns the nonce: concurrent settlements otherwise read the same pending nonce and
 * all but one fail ("nonce too low"). Waiting for receipts stays concurrent. After a failed
 * send the nonce is re-read from the chain, so a dropped transaction cannot leave a gap.
 */
export function createEvmSigner(options: EvmSignerOptions): FacilitatorEvmSigner {
  const account = privateKeyToAccount(options.private_key);
  const chain = chainOf(options.chain_id, options.rpc_url);
  const transport = http(options.rpc_url, {
    timeout: options.rpc_timeout_ms ?? x402Limits.rpc_timeout_ms,
    retryCount: 0,
  });
  const pub = createPublicClient({ chain, transport }) as PublicClient;
  const wallet = createWalletClient({ account, chain, transport });
  const key = `${options.chain_id}:${account.address}`;
  const sender = broadcasters.get(key) ?? { run: createSerialQueue(), next_nonce: null };
  broadcasters.set(key, sender);

  async function broadcast(send: (nonce: number) => Promise<Hex>): Promise<Hex> {
    return sender.run(async () => {
      const nonce =
        sender.next_nonce ??
        (await pub.getTransactionCount({ address: account.address, blockTag: "pending" }));
      try {
        const hash = await send(nonce);
        sender.next_nonce = nonce + 1;
        return hash;
      } catch (error) {
        sender.next_nonce = null;
        throw error;
      }
    });
  }

  const signer = toFacilitatorEvmSigner(
    {
      address: account.address,
      readContract: (args) => pub.readContract({ ...args, abi: args.abi as Abi }),
      verifyTypedData: (args) => pub.verifyTypedData(args as never),
      getCode: (args) => pub.getCode(args),
      waitForTransactionReceipt: (args) => pub.waitForTransactionReceipt(args),
      writeContract: (args) =>
        broadcast((nonce) =>
          wallet.writeContract({
            address: args.address,
            abi: args.abi as Abi,
            functionName: args.functionName,
            args: args.args,
            nonce,
            ...(args.gas !== undefined ? { gas: args.gas } : {}),
            ...(args.dataSuffix ? { dataSuffix: args.dataSuffix } : {}),
          } as never),
        ),
      sendTransaction: (args) =>
        broadcast((nonce) => wallet.sendTransaction({ to: args.to, data: args.data, nonce })),
    },
    { confirmationTimeoutMs: options.receipt_timeout_ms ?? x402Limits.settle_receipt_timeout_ms },
  );
  return signer;
}
