import {
  erc20Abi,
  getAddress,
  isAddressEqual,
  parseAbi,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { type Executor, num, tablesOf } from "../db/db.ts";
import { type ChainClients, rpc } from "./chain.ts";
import type { AnyPaymentPayload, Hex } from "./model.ts";

/**
 * Settlements whose outcome was unknown (`settlement_pending`): what the order was paid with,
 * kept until the chain says how it ended. Nothing here ever broadcasts: the answer is read from
 * the token's EIP-3009 state (`authorizationState(from, nonce)` and the `AuthorizationUsed`
 * event), so reconciling can book a payment once or release it, never settle it twice.
 */
export interface PendingSettlement {
  /** What the payment paid for: an order (`order_id`), or a pipeline job (its id in `order_id`). */
  subject: "order" | "pipeline";
  /** The order's id, or the pipeline job's. */
  order_id: string;
  /** The buyer, or the job's owner. */
  buyer_id: string;
  /** CAIP-2. */
  network: string;
  token: Hex;
  pay_to: Hex;
  authorizer: Hex;
  nonce: Hex;
  /** Unix seconds; from this block time on, an unused authorization can never be used. */
  valid_before: bigint;
  amount_atomic: bigint;
  /** The broadcast transaction, when the facilitator told us (a hint, re-checked). */
  tx_hash: Hex | null;
  /** The chain head when the settlement went pending: logs are searched from here. */
  from_block: bigint;
  payment_id: string | null;
  payload_sha256: string | null;
  /** A pipeline's ledger advance (the deposit made before settling), undone if never paid. */
  advance_id: string | null;
  state: "pending" | "settled" | "released";
  created_at_ms: number;
  /** When it was written, or last changed (a transaction noted, or its end). */
  updated_at_ms?: number;
}

type Int = number | bigint;
interface Tables {
  x402_reconciliations: {
    order_id: string;
    buyer_id: string;
    network: string;
    token: string;
    pay_to: string;
    authorizer: string;
    nonce: string;
    valid_before: string;
    amount_atomic: string;
    tx_hash: string | null;
    from_block: string;
    payment_id: string | null;
    payload_sha256: string | null;
    subject: string;
    advance_id: string | null;
    state: string;
    created_at_ms: Int;
    updated_at_ms: Int;
  };
}
const q = (ex: Executor) => tablesOf<Tables>(ex);

/** The EIP-3009 authorization inside an exact-scheme EVM payload (v1 or v2), or null. */
export function authorizationOf(
  payload: AnyPaymentPayload,
): { from: Hex; nonce: Hex; valid_before: bigint } | null {
  const a = (payload.payload as { authorization?: Record<string, unknown> }).authorization;
  if (!a || typeof a.from !== "string" || typeof a.nonce !== "string") return null;
  // A string as the wire types have it, or a JSON number (which verify takes too).
  const before =
    typeof a.validBefore === "number" && Number.isSafeInteger(a.validBefore) && a.validBefore >= 0
      ? String(a.validBefore)
      : a.validBefore;
  if (typeof before !== "string" || !/^[0-9]{1,20}$/.test(before)) return null;
  return { from: a.from as Hex, nonce: a.nonce as Hex, valid_before: BigInt(before) };
}

/** Records a pending settlement (once per order or job; a second record is ignored). */
export async function insertPendingSettlement(
  ex: Executor,
  p: Omit<PendingSettlement, "state" | "subject" | "advance_id"> &
    Partial<Pick<PendingSettlement, "subject" | "advance_id">>,
): Promise<void> {
  await q(ex)
    .insertInto("x402_reconciliations")
    .values({
      ...p,
      subject: p.subject ?? "order",
      advance_id: p.advance_id ?? null,
      token: p.token.toLowerCase(),
      pay_to: p.pay_to.toLowerCase(),
      authorizer: p.authorizer.toLowerCase(),
      nonce: p.nonce.toLowerCase(),
      valid_before: p.valid_before.toString(),
      amount_atomic: p.amount_atomic.toString(),
      from_block: p.from_block.toString(),
      state: "pending",
      updated_at_ms: p.created_at_ms,
    })
    .onConflict((oc) => oc.column("order_id").doNothing())
    .execute();
}

/** Notes the transaction a pending settlement was broadcast in (its record was written ahead). */
export async function notePendingSettlementTx(
  ex: Executor,
  spec: { order_id: string; tx_hash: Hex; now_ms: number },
): Promise<void> {
  await q(ex)
    .updateTable("x402_reconciliations")
    .set({ tx_hash: spec.tx_hash, updated_at_ms: spec.now_ms })
    .where("order_id", "=", spec.order_id)
    .where("state", "=", "pending")
    .execute();
}

/** The pending settlement of an order, whatever its state, or null. */
export async function getPendingSettlement(
  ex: Executor,
  order_id: string,
): Promise<PendingSettlement | null> {
  const r = await q(ex)
    .selectFrom("x402_reconciliations")
    .selectAll()
    .where("order_id", "=", order_id)
    .executeTakeFirst();
  return r ? pendingOf(r) : null;
}

/** Settlement records by order (or job) id, after a cursor; of one state when given. */
export async function listPendingSettlements(
  ex: Executor,
  f: { state?: PendingSettlement["state"]; after: string | null; limit: number },
): Promise<PendingSettlement[]> {
  let query = q(ex).selectFrom("x402_reconciliations").selectAll();
  if (f.state) query = query.where("state", "=", f.state);
  if (f.after) query = query.where("order_id", ">", f.after);
  return (await query.orderBy("order_id").limit(f.limit).execute()).map(pendingOf);
}

function pendingOf(r: Tables["x402_reconciliations"]): PendingSettlement {
  return {
    ...r,
    token: r.token as Hex,
    pay_to: r.pay_to as Hex,
    authorizer: r.authorizer as Hex,
    nonce: r.nonce as Hex,
    valid_before: BigInt(r.valid_before),
    amount_atomic: BigInt(r.amount_atomic),
    tx_hash: r.tx_hash as Hex | null,
    from_block: BigInt(r.from_block),
    subject: r.subject === "pipeline" ? "pipeline" : "order",
    advance_id: r.advance_id ?? null,
    state: r.state as PendingSettlement["state"],
    created_at_ms: Number(r.created_at_ms),
    updated_at_ms: Number(r.updated_at_ms),
  };
}

/**
 * Moves a pending settlement to its end state. Guarded: of two reconcilers racing, exactly one
 * gets `true` and books (or releases); the other does nothing.
 */
export async function endPendingSettlement(
  ex: Executor,
  spec: { order_id: string; state: "settled" | "released"; tx_hash: Hex | null; now_ms: number },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("x402_reconciliations")
    .set({ state: spec.state, tx_hash: spec.tx_hash, updated_at_ms: spec.now_ms })
    .where("order_id", "=", spec.order_id)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return num(r.numUpdatedRows) === 1;
}

const eip3009Abi = parseAbi([
  "function authorizationState(address authorizer, bytes32 nonce) view returns (bool)",
  "event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)",
]);

/** What the chain says about a pending settlement's authorization. */
export type AuthorizationOutcome =
  /** Used, in `tx_hash`, which moved the amount to the payee, buried deep enough. */
  | { kind: "used"; tx_hash: Hex; block_number: bigint }
  /** Used, but not deep enough yet, or its transaction could not be found: ask again later. */
  | { kind: "unsettled"; reason: string }
  /** Not used and past `validBefore` at the chain's head: it can never be used now. */
  | { kind: "expired" }
  /** Not used and still valid: a broadcast may still be mined. */
  | { kind: "open" };

/** Reads authorizations over RPC (PAYMENT_RPC_ERROR when the endpoint fails). */
export function createAuthorizationReader(deps: {
  chains: ChainClients;
  confirmations_min: number;
}) {
  async function outcomeOf(p: PendingSettlement): Promise<AuthorizationOutcome> {
    const client = deps.chains.clientOf(p.network);
    const used = await rpc(() =>
      client.readContract({
        address: getAddress(p.token),
        abi: eip3009Abi,
        functionName: "authorizationState",
        args: [getAddress(p.authorizer), p.nonce],
      }),
    );
    const head = await rpc(() => client.getBlock({ blockTag: "latest" }));
    if (!used) return head.timestamp >= p.valid_before ? { kind: "expired" } : { kind: "open" };
    const logs = await rpc(() =>
      client.getLogs({
        address: getAddress(p.token),
        event: eip3009Abi[1],
        args: { authorizer: getAddress(p.authorizer), nonce: p.nonce },
        fromBlock: p.from_block > 0n ? p.from_block - 1n : 0n,
        toBlock: head.number,
      }),
    );
    const log = logs[0];
    if (!log?.transactionHash || log.blockNumber === null) {
      return { kind: "unsettled", reason: "the authorization is used but its log was not found" };
    }
    if (head.number - log.blockNumber + 1n < BigInt(deps.confirmations_min)) {
      return { kind: "unsettled", reason: "not enough confirmations yet" };
    }
    const receipt = await rpc(() => client.getTransactionReceipt({ hash: log.transactionHash }));
    if (!paysTheOrder(receipt, p)) {
      return { kind: "unsettled", reason: `${log.transactionHash} does not pay the payee` };
    }
    return { kind: "used", tx_hash: log.transactionHash, block_number: log.blockNumber };
  }
  return { outcomeOf };
}

export type AuthorizationReader = ReturnType<typeof createAuthorizationReader>;

/** The signed authorization fixes payee and amount; checked again so a booking never guesses. */
function paysTheOrder(receipt: TransactionReceipt, p: PendingSettlement): boolean {
  if (receipt.status !== "success") return false;
  return parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs: receipt.logs }).some(
    (l) =>
      isAddressEqual(l.address, getAddress(p.token)) &&
      isAddressEqual(l.args.from, getAddress(p.authorizer)) &&
      isAddressEqual(l.args.to, getAddress(p.pay_to)) &&
      l.args.value === p.amount_atomic,
  );
}
