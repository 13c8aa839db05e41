import {
  erc20Abi,
  getAddress,
  isAddress,
  isAddressEqual,
  isHash,
  type PublicClient,
  parseEventLogs,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from "viem";
import { assert } from "../kernel/assert.ts";
import { Problem } from "../kernel/problem.ts";
import { createChainClients, rpc, rpcError } from "./chain.ts";
import { x402Limits } from "./limits.ts";
import type { Hex } from "./model.ts";
import { x402Problems } from "./problems.ts";

/**
 * A direct ERC-20 payment the buyer made and now proves with its transaction hash (peaq's
 * `wdk-usdt-transfer` rail in `rpc` mode). `amount_raw` is in the token's atomic units.
 */
export interface TransferProof {
  /** CAIP-2 chain, e.g. `eip155:3338` (peaq). */
  chain: string;
  tx_hash: Hex;
  token: Hex;
  from: Hex;
  to: Hex;
  amount_raw: bigint;
}

/** Where a proof is checked. Without an RPC URL for the chain, PAYMENT_RPC_REQUIRED. */
export interface ProofVerifierOptions {
  /** RPC URL per CAIP-2 chain (operator configuration, trusted like the database URL). */
  rpc_urls: Readonly<Record<string, string>>;
  /** Blocks a transfer must be buried under (1 = mined). */
  confirmations_min?: number;
  rpc_timeout_ms?: number;
}

/** What the chain confirmed. */
export interface VerifiedTransfer {
  chain: string;
  tx_hash: Hex;
  block_number: bigint;
  log_index: number;
  confirmations: bigint;
}

/** What a payment proof must show (see `verifyPayment`). */
export interface PaymentProofSpec {
  chain: string;
  tx_hash: Hex;
  token: Hex;
  to: Hex;
  amount_min_raw: bigint;
  senders: readonly Hex[];
}

/** A verified payment: the transfer found, who sent it and how much. */
export interface VerifiedPayment extends VerifiedTransfer {
  from: Hex;
  amount_raw: bigint;
}

/**
 * Verifies transfer proofs over RPC: the receipt must exist (else PAYMENT_NOT_MINED 409), have
 * succeeded (else PAYMENT_TX_FAILED 402), carry a `Transfer` log of the token from `from` to
 * `to` of exactly `amount_raw` (else PAYMENT_TRANSFER_NOT_FOUND 400), and be deep enough;
 * an RPC that fails or times out is PAYMENT_RPC_ERROR 502. Reads only, never sends.
 */
export function createProofVerifier(options: ProofVerifierOptions) {
  const confirmations_min = options.confirmations_min ?? 1;
  assert(
    Number.isInteger(confirmations_min) &&
      confirmations_min >= 1 &&
      confirmations_min <= x402Limits.confirmations_max,
    "confirmations_min is 1..confirmations_max",
  );
  const { clientOf } = createChainClients(options);

  /** The proof's receipt, succeeded and deep enough, and the chain's head. */
  async function minedReceipt(chain: string, tx_hash: Hex) {
    const client = clientOf(chain);
    const receipt = await receiptOf(client, tx_hash);
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

  async function verify(proof: TransferProof): Promise<VerifiedTransfer> {
    if (!isHash(proof.tx_hash) || ![proof.token, proof.from, proof.to].every((a) => isAddress(a))) {
      throw new Problem(
        x402Problems.PAYMENT_TRANSFER_NOT_FOUND,
        "tx_hash must be a 32-byte hash and token, from and to addresses",
      );
    }
    const { receipt, confirmations } = await minedReceipt(proof.chain, proof.tx_hash);
    const log = matchingTransfer(receipt, proof);
    return {
      chain: proof.chain,
      tx_hash: proof.tx_hash,
      block_number: receipt.blockNumber,
      log_index: log.logIndex,
      confirmations,
    };
  }

  /**
   * A payment proof: a `Transfer` of `token` to `to` of at least `amount_min_raw`, sent by one of
   * `senders` (addresses the payer proved it controls). A matching transfer from anyone else is
   * PAYMENT_SENDER_UNKNOWN: anyone can see a transfer to the hub and must not claim it.
   */
  async function verifyPayment(spec: PaymentProofSpec): Promise<VerifiedPayment> {
    if (!isHash(spec.tx_hash)) {
      throw new Problem(x402Problems.PAYMENT_TRANSFER_NOT_FOUND, "tx_hash is not a 32-byte hash");
    }
    const { receipt, confirmations } = await minedReceipt(spec.chain, spec.tx_hash);
    const paying = parseEventLogs({
      abi: erc20Abi,
      eventName: "Transfer",
      logs: receipt.logs,
      strict: true,
    }).filter(
      (l) =>
        isAddressEqual(l.address, getAddress(spec.token)) &&
        isAddressEqual(l.args.to, getAddress(spec.to)) &&
        l.args.value >= spec.amount_min_raw,
    );
    if (paying.length === 0) {
      throw new Problem(
        x402Problems.PAYMENT_TRANSFER_NOT_FOUND,
        `${spec.tx_hash} moves no ${spec.amount_min_raw} or more of ${spec.token} to ${spec.to}`,
        { extensions: { tx_hash: spec.tx_hash } },
      );
    }
    const log = paying.find((l) => spec.senders.some((a) => isAddressEqual(l.args.from, a)));
    if (!log) {
      const from = paying[0]?.args.from;
      throw new Problem(
        x402Problems.PAYMENT_SENDER_UNKNOWN,
        `${from} is not an address you proved you control; bind it first ` +
          "(POST /api/v1/key-bindings/challenges)",
        { extensions: { tx_hash: spec.tx_hash, from } },
      );
    }
    return {
      chain: spec.chain,
      tx_hash: spec.tx_hash,
      block_number: receipt.blockNumber,
      log_index: log.logIndex,
      confirmations,
      from: getAddress(log.args.from),
      amount_raw: log.args.value,
    };
  }

  return { verify, verifyPayment };
}

export type ProofVerifier = ReturnType<typeof createProofVerifier>;

async function receiptOf(client: PublicClient, hash: Hex): Promise<TransactionReceipt> {
  try {
    return await client.getTransactionReceipt({ hash });
  } catch (error) {
    if (error instanceof TransactionReceiptNotFoundError) {
      throw new Problem(x402Problems.PAYMENT_NOT_MINED, `${hash} is not mined (no receipt yet)`, {
        extensions: { tx_hash: hash },
      });
    }
    throw rpcError(error);
  }
}

/** The receipt's `Transfer` log of the proof's token, parties and exact amount. */
function matchingTransfer(receipt: TransactionReceipt, proof: TransferProof) {
  const transfers = parseEventLogs({
    abi: erc20Abi,
    eventName: "Transfer",
    logs: receipt.logs,
    strict: true,
  });
  const found = transfers.find(
    (l) =>
      isAddressEqual(l.address, getAddress(proof.token)) &&
      isAddressEqual(l.args.from, getAddress(proof.from)) &&
      isAddressEqual(l.args.to, getAddress(proof.to)) &&
      l.args.value === proof.amount_raw,
  );
  if (!found) {
    throw new Problem(
      x402Problems.PAYMENT_TRANSFER_NOT_FOUND,
      `${proof.tx_hash} moves no ${proof.amount_raw} of ${proof.token} ` +
        `from ${proof.from} to ${proof.to}`,
      { extensions: { tx_hash: proof.tx_hash, transfers: transfers.length } },
    );
  }
  return found;
}
