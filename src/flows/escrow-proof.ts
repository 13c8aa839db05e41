import {
  type AbiEvent,
  getAddress,
  isAddressEqual,
  keccak256,
  parseEventLogs,
  stringToBytes,
} from "viem";
import { type Config, lockEventOf } from "../config.ts";
import type { Database, Executor, Tx } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import type { Machines } from "../machines/index.ts";
import {
  type Actor,
  type Order,
  type Orders,
  orderProblems,
  type Payment,
} from "../orders/index.ts";
import type { StoredReceipt } from "../receipts/index.ts";
// minedReceipt is not (yet) re-exported by src/x402/index.ts, which this change does not own.
import { createChainClients, minedReceipt } from "../x402/chain.ts";
import { type Hex, x402Problems } from "../x402/index.ts";
import type { Purchases } from "./purchase.ts";
import { claimProofTx, provenSenders, type TxPaymentProof, txProofTermsOf } from "./tx-proof.ts";

/**
 * peaq's `onchain-escrow` rail: the buyer locks the price in an escrow contract and proves it on
 * POST …/payment/escrow-lock with `{tx_hash, chain, escrow_address?}`. When the hub has that
 * chain's escrow contract configured (AGX_EVM_ESCROW) it reads the receipt over RPC and requires
 * the contract's lock event with `orderRef = keccak256(utf8(order id))`, the order's token, an
 * amount ≥ the price and a `payer` the buyer proved it controls (the tx-proof sender rule); the
 * hash is claimed for the order for ever, in the transaction that marks it paid (`rpc`). The
 * money stays in the contract, so nothing moves on the hub's ledger. Without a configured escrow
 * the proof is only `recorded`, visibly unverified, as offchain-record proofs are.
 *
 * An arbitrated escrow (its lock event also names `address payee`; ABI in docs/rails.md) is one
 * the hub releases and refunds on chain as its arbiter (src/flows/escrow-chain.ts): its payee
 * must be an address the provider proved it controls, and the proof is kept `arbitrated`.
 */

/** An escrow-lock proof as clients send it. */
export interface EscrowLockProof extends TxPaymentProof {
  /** The contract the buyer locked in; must be the hub's escrow for the chain when given. */
  escrow_address?: string;
}

/** The order reference an escrow contract must emit for `order_id`: keccak256 of its UTF-8. */
export const orderRefOf = (order_id: string): Hex => keccak256(stringToBytes(order_id));

/** Where escrow proofs are checked: the lock contract and event per chain, tokens, RPCs. */
export interface EscrowTerms {
  rpc_urls: Readonly<Record<string, string>>;
  /** `<CAIP-2>/<ledger asset>` → token contract. */
  tokens: Readonly<Record<string, string>>;
  escrows: Readonly<Record<string, { address: Hex; event: AbiEvent }>>;
  confirmations_min: number;
}

/** The terms from configuration: AGX_EVM_ESCROW plus the tx-proof chains and tokens. */
export function escrowTermsOf(c: Config): EscrowTerms {
  const base = txProofTermsOf(c);
  const escrows: Record<string, { address: Hex; event: AbiEvent }> = {};
  for (const [chain, e] of Object.entries(c.evm_escrow)) {
    escrows[chain] = { address: getAddress(e.address), event: lockEventOf(e.lock_event) };
  }
  return {
    rpc_urls: base.rpc_urls,
    tokens: base.tokens,
    escrows,
    confirmations_min: base.confirmations_min,
  };
}

/** What the chain showed: the lock event found. */
export interface VerifiedEscrowLock {
  escrow_address: Hex;
  payer: Hex;
  token: Hex;
  amount_raw: bigint;
  order_ref: Hex;
  /** The arbitrated escrow's payee (a provider's address), when the lock event names one. */
  payee: Hex | null;
  block_number: bigint;
  log_index: number;
  confirmations: bigint;
}

/** How an escrow proof will be applied: verified on chain, or only recorded. */
export type EscrowCheck =
  | { mode: "rpc"; proof: EscrowLockProof; verified: VerifiedEscrowLock }
  | { mode: "recorded"; proof: EscrowLockProof };

export interface EscrowProofDeps {
  purchases: Purchases;
  orders: Pick<Orders, "paymentOf">;
  machines: Pick<Machines, "bindings">;
  clock: Clock;
  terms: EscrowTerms;
}

interface LockArgs {
  orderRef: Hex;
  payer: Hex;
  token: Hex;
  amount: bigint;
  payee?: Hex;
}

/** Escrow-lock proofs for onchain-escrow orders. */
export function createEscrowProofs(deps: EscrowProofDeps) {
  const { terms } = deps;
  const clients = createChainClients({ rpc_urls: terms.rpc_urls });

  function tokenOf(chain: string, asset: string): Hex {
    const token = terms.tokens[`${chain}/${asset}`];
    if (!token) {
      throw new Problem(
        orderProblems.PAYMENT_RAIL_UNSUPPORTED,
        `this hub knows no ${asset} token on ${chain} (AGX_EVM_TOKENS)`,
      );
    }
    return getAddress(token);
  }

  /** The lock events of `escrow` in the receipt that lock for `order`, in its token. */
  function locksFor(
    logs: Parameters<typeof parseEventLogs>[0]["logs"],
    escrow: { address: Hex; event: AbiEvent },
    order: Order,
    token: Hex,
    tx_hash: string,
  ) {
    const emitted = parseEventLogs({ abi: [escrow.event], logs, strict: true })
      .filter((l) => isAddressEqual(l.address, escrow.address))
      .map((l) => ({ log_index: l.logIndex, args: l.args as unknown as LockArgs }));
    const ref = orderRefOf(order.id);
    const mine = emitted.filter((l) => l.args.orderRef.toLowerCase() === ref);
    const inToken = mine.filter((l) => isAddressEqual(l.args.token, token));
    if (inToken.length === 0) {
      throw new Problem(
        orderProblems.PAYMENT_ESCROW_LOCK_NOT_FOUND,
        `${tx_hash} holds no ${escrow.event.name} of ${escrow.address} locking ${token} for ` +
          `orderRef ${ref} (keccak256 of the order id)`,
        { extensions: { tx_hash, escrow_address: escrow.address, order_ref: ref, token } },
      );
    }
    return inToken;
  }

  /**
   * An arbitrated escrow's payee, which must be an address the provider proved it controls
   * (the hub releases to it); null for a lock event without a payee.
   */
  async function checkedPayee(
    ex: Executor,
    event: AbiEvent,
    order: Order,
    payee: Hex | undefined,
    tx_hash: string,
  ): Promise<Hex | null> {
    if (!event.inputs.some((i) => i.name === "payee" && i.type === "address")) return null;
    const provider = await provenSenders(ex, deps.machines, order.provider_id, null);
    if (!payee || !provider.some((a) => isAddressEqual(a, payee))) {
      throw new Problem(
        orderProblems.PAYMENT_PROOF_INVALID,
        `${tx_hash} locks for payee ${payee}, which is not an address the provider proved it ` +
          "controls; lock again for one of the provider's bound addresses",
        { extensions: { tx_hash, payee } },
      );
    }
    return getAddress(payee);
  }

  /**
   * The chain half of an escrow-lock proof, run before the write transaction (it waits on the
   * network). Reads only. A chain without a configured escrow gives `recorded`.
   */
  async function check(ex: Executor, order: Order, proof: EscrowLockProof): Promise<EscrowCheck> {
    const escrow = terms.escrows[proof.chain];
    if (!escrow) return { mode: "recorded", proof };
    if (
      proof.escrow_address !== undefined &&
      !isAddressEqual(proof.escrow_address as Hex, escrow.address)
    ) {
      throw new Problem(
        orderProblems.PAYMENT_PROOF_INVALID,
        `${proof.escrow_address} is not this hub's escrow on ${proof.chain} (${escrow.address})`,
      );
    }
    const token = tokenOf(proof.chain, order.asset);
    const tx_hash = proof.tx_hash as Hex;
    const { receipt, confirmations } = await minedReceipt(
      clients.clientOf(proof.chain),
      tx_hash,
      terms.confirmations_min,
    );
    const locks = locksFor(receipt.logs, escrow, order, token, tx_hash);
    const enough = locks.filter((l) => l.args.amount >= order.amount_minor);
    if (enough.length === 0) {
      // bigint: Math.max does not apply.
      let locked = 0n;
      for (const l of locks) if (l.args.amount > locked) locked = l.args.amount;
      throw new Problem(
        orderProblems.PAYMENT_AMOUNT_MISMATCH,
        `${tx_hash} locks ${locked}, the order costs ${order.amount_minor}`,
        { extensions: { tx_hash, locked: locked.toString(), owed: order.amount_minor.toString() } },
      );
    }
    const senders = await provenSenders(ex, deps.machines, order.buyer_id, order.pairing_id);
    const lock = enough.find((l) => senders.some((a) => isAddressEqual(l.args.payer, a)));
    if (!lock) {
      const payer = enough[0]?.args.payer;
      throw new Problem(
        x402Problems.PAYMENT_SENDER_UNKNOWN,
        `${payer} is not an address you proved you control; bind it first ` +
          "(POST /api/v1/key-bindings/challenges)",
        { extensions: { tx_hash, payer } },
      );
    }
    const payee = await checkedPayee(ex, escrow.event, order, lock.args.payee, tx_hash);
    const verified: VerifiedEscrowLock = {
      escrow_address: escrow.address,
      payer: getAddress(lock.args.payer),
      token,
      amount_raw: lock.args.amount,
      order_ref: orderRefOf(order.id),
      payee,
      block_number: receipt.blockNumber,
      log_index: lock.log_index,
      confirmations,
    };
    return { mode: "rpc", proof, verified };
  }

  /**
   * Marks `order` paid by a checked escrow lock, in the caller's transaction: the hash is claimed
   * for the order (once, ever; the same proof again returns the order as it is), the payment
   * becomes `held` with its proof (`rpc` or `recorded`) and the order `ready`. No ledger hold:
   * the money is in the contract, not the hub's.
   */
  async function pay(
    tx: Tx,
    order: Order,
    actor: Actor,
    check: EscrowCheck,
    amount_minor?: bigint,
  ): Promise<{ order: Order; payment: Payment; receipt: StoredReceipt | null }> {
    if (order.rail !== "onchain-escrow") {
      throw new Problem(
        orderProblems.PAYMENT_RAIL_UNSUPPORTED,
        `order ${order.id} is on ${order.rail}, not onchain-escrow`,
      );
    }
    const proof = { chain: check.proof.chain, tx_hash: check.proof.tx_hash };
    if ((await claimProofTx(tx, deps.clock, proof, "order", order.id)) === "exists") {
      return { order, payment: await deps.orders.paymentOf(tx, order.id), receipt: null };
    }
    const escrow_lock =
      check.mode === "recorded"
        ? {
            verification: "recorded" as const,
            proof: { ...check.proof, verification: "recorded", verified: false },
          }
        : {
            verification: "rpc" as const,
            proof: {
              ...proof,
              verification: "rpc",
              verified: true,
              escrow_address: check.verified.escrow_address,
              payer: check.verified.payer,
              token: check.verified.token,
              amount_raw: check.verified.amount_raw.toString(),
              order_ref: check.verified.order_ref,
              ...(check.verified.payee ? { arbitrated: true, payee: check.verified.payee } : {}),
              block_number: check.verified.block_number.toString(),
              log_index: check.verified.log_index,
              confirmations: check.verified.confirmations.toString(),
            },
          };
    const spec = { escrow_lock, ...(amount_minor !== undefined ? { amount_minor } : {}) };
    return deps.purchases.pay(tx, order, actor, spec);
  }

  return { check, pay, verifies: (chain: string) => terms.escrows[chain] !== undefined };
}

export type EscrowProofs = ReturnType<typeof createEscrowProofs>;

const shared = new WeakMap<Database, EscrowProofs>();

/** One EscrowProofs per hub (per database), made on first use. */
export function escrowProofsFor(
  deps: Omit<EscrowProofDeps, "terms"> & { db: Database; config: Config },
): EscrowProofs {
  let made = shared.get(deps.db);
  if (!made) {
    made = createEscrowProofs({ ...deps, terms: escrowTermsOf(deps.config) });
    shared.set(deps.db, made);
  }
  return made;
}
