import type { Config } from "../config.ts";
import type { Database, Executor, Tx } from "../db/db.ts";
import { pairingById } from "../delegation/index.ts";
import type { Clock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import { type Ledger, transferProblem } from "../ledger/index.ts";
import type { Machines } from "../machines/index.ts";
import {
  type Actor,
  type Order,
  type Orders,
  orderProblems,
  type Payment,
} from "../orders/index.ts";
import type { StoredReceipt } from "../receipts/index.ts";
import {
  claimTx,
  createProofVerifier,
  type Hex,
  type VerifiedTransferPayment,
  x402Problems,
} from "../x402/index.ts";
import type { Purchases } from "./purchase.ts";
import { chainTransferId } from "./x402.ts";

/**
 * peaq's `wallet` → `wdk-usdt-transfer` rail: the agent sends USDT/USDC to the hub's address
 * itself and proves it with `{tx_hash, chain}`, on an order (POST …/payment-proof) or on an AIMP
 * invoke (`X-Payment: {"tx_hash","chain"}`). With an RPC for the chain agx reads the receipt and
 * the ERC-20 `Transfer` log (token, recipient = the hub, amount ≥ price, a sender the payer proved
 * it controls, confirmations) and claims the hash for ever, in the transaction that books it.
 * Without one (or on a non-EVM chain, e.g. Solana) the proof can only be `recorded`, and only on
 * an `offchain-record` or `mpp` order, visibly unverified; `mpp` proofs are always recorded.
 */

/** A transaction-hash payment proof as clients send it. */
export interface TxPaymentProof {
  tx_hash: string;
  /** CAIP-2: `eip155:<id>` is checked over RPC; anything else (`solana:…`) is recorded only. */
  chain: string;
}

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;
const CHAIN = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;

/** `{tx_hash, chain}` when `value` is exactly such a proof, else null. */
export function txProofOf(value: unknown): TxPaymentProof | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.tx_hash !== "string" || typeof v.chain !== "string") return null;
  if (!CHAIN.test(v.chain)) return null;
  // Solana signatures are base58, not 0x hashes; only EVM hashes are held to their shape.
  if (v.chain.startsWith("eip155:") && !TX_HASH.test(v.tx_hash)) return null;
  if (v.tx_hash.length > 128) return null;
  return {
    tx_hash: v.chain.startsWith("eip155:") ? v.tx_hash.toLowerCase() : v.tx_hash,
    chain: v.chain,
  };
}

/**
 * The proof in an AIMP `X-Payment` header (raw JSON `{"tx_hash","chain"}`), or null: x402 v1
 * uses the same header name with base64 JSON, which never starts with `{`.
 */
export function txProofFromHeader(header: string | string[] | undefined): TxPaymentProof | null {
  if (typeof header !== "string" || !header.trimStart().startsWith("{")) return null;
  if (header.length > 1024) return null;
  try {
    return txProofOf(JSON.parse(header));
  } catch {
    return null;
  }
}

/** Where proofs are checked: RPC and token per chain, the hub's receiving address. */
export interface TxProofTerms {
  rpc_urls: Readonly<Record<string, string>>;
  /** `<CAIP-2>/<ledger asset>` → token contract. */
  tokens: Readonly<Record<string, string>>;
  pay_to: Hex | null;
  confirmations_min: number;
}

/** The terms from configuration: the x402 chain and token, plus AGX_EVM_RPC_URLS/TOKENS. */
export function txProofTermsOf(c: Config): TxProofTerms {
  const rpc = c.evm_rpc_url ?? c.x402_rpc_url;
  return {
    rpc_urls: { ...(rpc ? { [c.x402_network]: rpc } : {}), ...c.evm_rpc_urls },
    tokens: { [`${c.x402_network}/${c.x402_ledger_asset}`]: c.x402_asset, ...c.evm_tokens },
    pay_to: (c.x402_pay_to as Hex | null) ?? null,
    confirmations_min: c.evm_confirmations,
  };
}

export interface TxProofDeps {
  db: Database;
  ledger: Ledger;
  purchases: Purchases;
  orders: Pick<Orders, "paymentOf">;
  machines: Pick<Machines, "bindings">;
  clock: Clock;
  terms: TxProofTerms;
}

/**
 * Addresses `buyer_id` proved it controls: its key bindings, and the pairing's agent when an
 * agent bought for a machine. A payment from any other address is never the buyer's.
 */
export async function provenSenders(
  ex: Executor,
  machines: Pick<Machines, "bindings">,
  buyer_id: string,
  pairing_id: string | null,
): Promise<Hex[]> {
  const bound = await machines.bindings.list(ex, buyer_id);
  const out = bound.flatMap((b) => (b.address ? [b.address as Hex] : []));
  if (pairing_id !== null) {
    const pairing = await pairingById(ex, pairing_id);
    if (pairing) out.push(pairing.agent_address);
  }
  return out;
}

/**
 * Claims a transaction hash for `purpose`/`subject`, for ever, in the caller's transaction:
 * `created` the first time, `exists` for the same subject again, PAYMENT_TX_ALREADY_USED when
 * anything else (a deposit, another order, an x402 settlement) has it.
 */
export async function claimProofTx(
  tx: Tx,
  clock: Clock,
  proof: { chain: string; tx_hash: string },
  purpose: string,
  subject: string,
): Promise<"created" | "exists"> {
  const c = await claimTx(tx, {
    chain: proof.chain,
    tx_hash: proof.tx_hash,
    purpose,
    subject,
    now_ms: clock.now_ms(),
  });
  if (c.outcome === "taken") {
    throw new Problem(
      x402Problems.PAYMENT_TX_ALREADY_USED,
      `${proof.tx_hash} already paid for ${c.purpose} ${c.subject}`,
    );
  }
  return c.outcome;
}

/** Rails whose proofs are kept as `recorded` (unverified) when they are not checked on chain. */
const RECORDING_RAILS: readonly string[] = ["offchain-record", "mpp"];

/** PAYMENT_RAIL_UNSUPPORTED unless a transaction-hash payment proof can pay the order's rail. */
function assertHashPays(order: Order): void {
  if (["prepaid", "escrow", "wdk-usdt-transfer", ...RECORDING_RAILS].includes(order.rail)) return;
  throw new Problem(
    orderProblems.PAYMENT_RAIL_UNSUPPORTED,
    order.rail === "onchain-escrow"
      ? `order ${order.id} is on onchain-escrow: prove the lock with ` +
          "POST /api/v1/market/orders/{id}/payment/escrow-lock {tx_hash, chain}"
      : `order ${order.id} is on ${order.rail}, which a transaction hash cannot pay`,
  );
}

/** How an order proof will be applied: checked on chain, or only recorded. */
export type OrderProofCheck =
  | { mode: "rpc"; proof: TxPaymentProof; verified: VerifiedTransferPayment }
  | { mode: "recorded"; proof: TxPaymentProof };

/** Transaction-hash proofs for orders and invokes. */
export function createTxProofs(deps: TxProofDeps) {
  const { terms } = deps;
  const verifier = createProofVerifier({
    rpc_urls: terms.rpc_urls,
    confirmations_min: terms.confirmations_min,
  });

  const senders = (ex: Executor, buyer_id: string, pairing_id: string | null) =>
    provenSenders(ex, deps.machines, buyer_id, pairing_id);

  function tokenOf(chain: string, asset: string): Hex {
    const token = terms.tokens[`${chain}/${asset}`];
    if (!token || !terms.pay_to) {
      throw new Problem(
        orderProblems.PAYMENT_RAIL_UNSUPPORTED,
        `this hub takes no ${asset} on ${chain} (AGX_X402_PAY_TO and AGX_EVM_TOKENS)`,
      );
    }
    return token as Hex;
  }

  /** Verifies a payment of at least `amount_min` of `asset` over RPC. Reads only, never writes. */
  async function verify(
    ex: Executor,
    spec: {
      buyer_id: string;
      pairing_id: string | null;
      asset: string;
      amount_min: bigint;
      proof: TxPaymentProof;
    },
  ): Promise<VerifiedTransferPayment> {
    const token = tokenOf(spec.proof.chain, spec.asset);
    return verifier.verifyPayment({
      chain: spec.proof.chain,
      tx_hash: spec.proof.tx_hash as Hex,
      token,
      to: terms.pay_to as Hex,
      amount_min_raw: spec.amount_min,
      senders: await senders(ex, spec.buyer_id, spec.pairing_id),
    });
  }

  /** True when the chain is EVM and this hub has an RPC for it. */
  const checkable = (chain: string) =>
    chain.startsWith("eip155:") && terms.rpc_urls[chain] !== undefined;

  /**
   * The chain half of an order's proof, run before the write transaction (it waits on the
   * network). Without RPC only an `offchain-record` order may take it, as `recorded`.
   */
  async function checkOrderProof(
    ex: Executor,
    order: Order,
    proof: TxPaymentProof,
  ): Promise<OrderProofCheck> {
    assertHashPays(order);
    // mpp (Solana micro-payments) proofs are recorded only, whatever the chain.
    if (order.rail === "mpp") return { mode: "recorded", proof };
    if (!checkable(proof.chain)) {
      if (order.rail !== "offchain-record") {
        throw new Problem(
          x402Problems.PAYMENT_RPC_REQUIRED,
          `this hub cannot verify ${proof.chain} transactions; only offchain-record and mpp ` +
            "orders take such a proof, recorded unverified",
        );
      }
      return { mode: "recorded", proof };
    }
    const verified = await verify(ex, {
      buyer_id: order.buyer_id,
      pairing_id: order.pairing_id,
      asset: order.asset,
      amount_min: order.amount_minor,
      proof,
    });
    return { mode: "rpc", proof, verified };
  }

  const claim = (tx: Tx, proof: TxPaymentProof, purpose: string, subject: string) =>
    claimProofTx(tx, deps.clock, proof, purpose, subject);

  /** Credits a verified transfer to `owner_id`, keyed by the transaction (once, ever). */
  async function deposit(tx: Tx, owner_id: string, asset: string, v: VerifiedTransferPayment) {
    const r = await deps.ledger.deposit(tx, {
      id: chainTransferId("erc20", v.chain, v.tx_hash),
      owner_id,
      amount_minor: v.amount_raw,
      asset,
      code: "erc20_deposit",
      metadata: { rail: "wdk-usdt-transfer", chain: v.chain, tx_hash: v.tx_hash, from: v.from },
    });
    if (r.result !== "created" && r.result !== "exists") throw transferProblem(r);
    return r.result;
  }

  /**
   * Pays `order` with a checked proof, in the caller's transaction: the hash is claimed for the
   * order; on a ledger rail (prepaid, escrow) the whole transfer is deposited to the buyer and the
   * price held from it (an overpayment stays in the buyer's balance); on `offchain-record` the
   * proof is kept (verified or visibly not). The same proof again returns the order as it is.
   */
  async function payOrder(
    tx: Tx,
    order: Order,
    actor: Actor,
    check: OrderProofCheck,
    known: Parameters<Purchases["pay"]>[4] = {},
  ): Promise<{ order: Order; payment: Payment; receipt: StoredReceipt | null }> {
    assertHashPays(order);
    if ((await claim(tx, check.proof, "order", order.id)) === "exists") {
      return { order, payment: await deps.orders.paymentOf(tx, order.id), receipt: null };
    }
    if (check.mode === "recorded" || order.rail === "mpp") {
      if (!RECORDING_RAILS.includes(order.rail)) {
        throw new Problem(
          x402Problems.PAYMENT_RPC_REQUIRED,
          `order ${order.id} is on ${order.rail}, which needs a proof verified over RPC`,
        );
      }
      const proof = { ...check.proof, verification: "recorded", verified: false };
      return deps.purchases.pay(tx, order, actor, { proof }, known);
    }
    const v = check.verified;
    // Checked against the order's price before; a different order (or price) is refused here.
    if (v.amount_raw < order.amount_minor) {
      throw new Problem(
        x402Problems.PAYMENT_TRANSFER_NOT_FOUND,
        `${v.tx_hash} moved ${v.amount_raw}, the order costs ${order.amount_minor}`,
      );
    }
    const proof = {
      ...check.proof,
      verification: "rpc",
      verified: true,
      from: v.from,
      amount_raw: v.amount_raw.toString(),
      block_number: v.block_number.toString(),
      confirmations: v.confirmations.toString(),
    };
    if (order.rail === "offchain-record") {
      return deps.purchases.pay(tx, order, actor, { proof }, known);
    }
    await deposit(tx, order.buyer_id, order.asset, v);
    const spec = order.rail === "wdk-usdt-transfer" ? { tx_verified: proof } : {};
    return deps.purchases.pay(tx, order, actor, spec, known);
  }

  /**
   * The chain half of an AIMP invoke's `X-Payment: {"tx_hash","chain"}`: a transfer of at least
   * the call's price, verified over RPC before the invoke's transaction (which claims the hash
   * for the call's order with `payOrder`).
   */
  async function checkInvokeProof(spec: {
    buyer_id: string;
    pairing_id: string | null;
    asset: string;
    amount_min: bigint;
    proof: TxPaymentProof;
  }): Promise<OrderProofCheck> {
    if (!checkable(spec.proof.chain)) {
      throw new Problem(
        x402Problems.PAYMENT_RPC_REQUIRED,
        `this hub cannot verify ${spec.proof.chain} transactions`,
      );
    }
    const verified = await verify(deps.db.kysely, spec);
    return { mode: "rpc", proof: spec.proof, verified };
  }

  /**
   * An AIMP invoke's `X-Payment: {"tx_hash","chain"}`: verified over RPC (at least `amount_min`),
   * claimed for the buyer and credited to its balance in one transaction, so the invoke that
   * follows pays from the balance as any prepaid call. A hash credits once, ever; sending it
   * again pays from what is left of the balance.
   */
  async function credit(spec: {
    buyer_id: string;
    pairing_id: string | null;
    asset: string;
    amount_min: bigint;
    proof: TxPaymentProof;
  }): Promise<{ deposit: "created" | "exists"; verified: VerifiedTransferPayment }> {
    if (!checkable(spec.proof.chain)) {
      throw new Problem(
        x402Problems.PAYMENT_RPC_REQUIRED,
        `this hub cannot verify ${spec.proof.chain} transactions`,
      );
    }
    const verified = await verify(deps.db.kysely, spec);
    const result = await deps.db.transaction(async (tx) => {
      await claim(tx, spec.proof, "deposit", spec.buyer_id);
      return deposit(tx, spec.buyer_id, spec.asset, verified);
    });
    return { deposit: result, verified };
  }

  return { checkOrderProof, checkInvokeProof, payOrder, credit, checkable };
}

export type TxProofs = ReturnType<typeof createTxProofs>;

const shared = new WeakMap<Database, TxProofs>();

/** One TxProofs per hub (per database), made on first use. */
export function txProofsFor(deps: Omit<TxProofDeps, "terms"> & { config: Config }): TxProofs {
  let made = shared.get(deps.db);
  if (!made) {
    made = createTxProofs({ ...deps, terms: txProofTermsOf(deps.config) });
    shared.set(deps.db, made);
  }
  return made;
}
