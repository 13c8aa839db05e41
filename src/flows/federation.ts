/**
 * Routed calls (AIMP v2 §4): a caller of this hub buys a capability a peer hub provides. This
 * hub prices the call at the peer, holds the routed price (peer price + routing fee) from the
 * caller, calls the peer's paid invoke with its own account there, and then, in one transaction
 * each, either settles (the peer's share out to the peer's settlement account, the fee to the
 * hub) or voids the hold (no fee). The answer carries the provider's receipt inside this hub's
 * own signed receipt.
 */
import type { KeyObject } from "node:crypto";
import { signReceiptV1 } from "../aimp/index.ts";
import type { Database, Tx } from "../db/db.ts";
import {
  type Federation,
  federationLimits as FL,
  federationProblems,
  hubOrigin,
  invokeAtProvider,
  nextCallState,
  type Peer,
  type PeerFetch,
  type ProviderAnswer,
  quoteAtProvider,
  type RoutedCall,
} from "../federation/index.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import type { Logger } from "../kernel/logger.ts";
import { minorToDecimal } from "../kernel/money.ts";
import { Problem } from "../kernel/problem.ts";
import { HUB_OWNER_ID, type Ledger, type TransferInput, transferProblem } from "../ledger/index.ts";
import { orderProblems } from "../orders/index.ts";
import type { Receipts, StoredReceipt } from "../receipts/index.ts";

export interface RoutingDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  ledger: Ledger;
  receipts: Receipts;
  federation: Federation;
  fetch: PeerFetch;
  publicUrl: () => string;
  decimalsOf: (asset: string) => number;
  /** This hub's AIMP signing key (the one its well-known document names). */
  signer: () => Promise<KeyObject>;
  routing_fee_bps: number;
}

export interface RoutedInvokeSpec {
  caller_id: string;
  product_id: string;
  capability_id: string;
  source_hub: string;
  input: unknown;
}

export interface RoutedOutcome {
  success: boolean;
  call: RoutedCall;
  peer: Peer;
  result: unknown;
  error: string | null;
  /** This hub's AIMP receipt for the caller (the routed price). */
  receipt: Record<string, unknown>;
  /** The provider hub's own AIMP receipt, verified with its key. */
  provider_receipt: Record<string, unknown> | null;
  /** This hub's signed (JWS) settlement or refund receipt, the provider's receipt inside. */
  agx_receipt: StoredReceipt;
}

/** The money of a finished call, minor units of its asset. */
interface Money {
  price_minor: bigint;
  fee_minor: bigint;
  routed_minor: bigint;
}

const fee = (price: bigint, bps: number) => (price * BigInt(bps)) / 10_000n;
const holdId = (call_id: string) => `${call_id}.hold`;

/** Creates the routing flows. */
export function createRouting(deps: RoutingDeps) {
  const { db, clock, ledger } = deps;

  /** The active peer, its indexed tool and this hub's credential there, or a Problem. */
  async function resolve(spec: RoutedInvokeSpec) {
    const hub = hubOrigin(spec.source_hub);
    if (hub !== null && hub === hubOrigin(deps.publicUrl())) {
      throw new Problem(
        federationProblems.FEDERATION_PEER_NOT_FOUND,
        "source_hub is this hub: invoke /capabilities/{product}/{capability}/invoke here",
      );
    }
    const peer = hub ? await deps.federation.peerByUrl(db.kysely, hub) : null;
    if (!peer) {
      throw new Problem(federationProblems.FEDERATION_PEER_NOT_FOUND, `no peer ${spec.source_hub}`);
    }
    if (peer.state !== "active" || peer.signer_public_key === null) {
      throw new Problem(
        federationProblems.FEDERATION_PEER_UNAVAILABLE,
        `peer ${peer.hub_url} is ${peer.state}`,
      );
    }
    const tool = await deps.federation.findTool(
      db.kysely,
      peer.id,
      spec.product_id,
      spec.capability_id,
    );
    if (!tool) {
      throw new Problem(
        federationProblems.FEDERATION_CAPABILITY_NOT_FOUND,
        `${peer.hub_url} lists no ${spec.product_id}/${spec.capability_id}`,
      );
    }
    const credential = await deps.federation.routeCredential(db.kysely, peer);
    if (!credential) {
      throw new Problem(
        federationProblems.FEDERATION_PEER_NOT_ROUTABLE,
        `this hub has no account at ${peer.hub_url}`,
      );
    }
    return { peer, credential, signer_public_key: peer.signer_public_key };
  }

  /** Opens the call and holds the routed price from the caller (402 when it does not fit). */
  async function open(spec: RoutedInvokeSpec, peer: Peer, price_minor: bigint) {
    const now = clock.now_ms();
    const fee_minor = fee(price_minor, deps.routing_fee_bps);
    const call: RoutedCall = {
      id: newId("fcall", now),
      caller_id: spec.caller_id,
      peer_id: peer.id,
      product_id: spec.product_id,
      capability_id: spec.capability_id,
      asset: peer.route_asset,
      price_minor,
      fee_bps: deps.routing_fee_bps,
      fee_minor,
      routed_minor: price_minor + fee_minor,
      state: "routing",
      hold_id: "",
      provider_status: null,
      provider_receipt: null,
      error: null,
      latency_ms: null,
      created_at_ms: now,
      finished_at_ms: null,
    };
    call.hold_id = holdId(call.id);
    await db.transaction(async (tx) => {
      await deps.federation.insertCall(tx, call);
      if (call.routed_minor === 0n) return;
      const from = await ledger.openAccount(tx, {
        owner_id: spec.caller_id,
        asset: call.asset,
        kind: "available",
      });
      const escrow = await ledger.openAccount(tx, {
        owner_id: HUB_OWNER_ID,
        asset: call.asset,
        kind: "escrow",
      });
      const r = await ledger.transfer(tx, {
        op: "hold",
        id: call.hold_id,
        debit_account_id: from.id,
        credit_account_id: escrow.id,
        amount_minor: call.routed_minor,
        asset: call.asset,
        code: "federation_route",
        timeout_ms: FL.call_hold_timeout_ms,
        metadata: { call_id: call.id, peer_id: peer.id },
      });
      if (r.result === "exceeds_balance") {
        throw new Problem(orderProblems.PAYMENT_REQUIRED, "the balance does not cover the price");
      }
      if (r.result !== "created") throw transferProblem(r);
    });
    return call;
  }

  /** Settles a delivered call: caller pays the routed price, peer's share out, fee to the hub. */
  async function settle(tx: Tx, call: RoutedCall, peer: Peer, money: Money): Promise<void> {
    const escrow = await ledger.openAccount(tx, {
      owner_id: HUB_OWNER_ID,
      asset: call.asset,
      kind: "escrow",
    });
    const payee = await ledger.openAccount(tx, {
      owner_id: peer.id,
      asset: call.asset,
      kind: "external",
    });
    const fees = await ledger.hubAccount(tx, call.asset, "fees");
    const batch: TransferInput[] = [];
    // No hold when the quote was free; a hold with nothing to post is voided.
    if (call.routed_minor > 0n) {
      batch.push(
        money.routed_minor > 0n
          ? {
              op: "post",
              id: `${call.id}.post`,
              pending_id: call.hold_id,
              amount_minor: money.routed_minor,
            }
          : { op: "void", id: `${call.id}.void`, pending_id: call.hold_id },
      );
    }
    const moves: [string, string, bigint, string][] = [
      [`${call.id}.payout`, payee.id, money.price_minor, "federation_payout"],
      [`${call.id}.fee`, fees.id, money.fee_minor, "routing_fee"],
    ];
    for (const [id, credit, amount_minor, code] of moves) {
      if (amount_minor === 0n) continue;
      batch.push({
        op: "transfer",
        id,
        debit_account_id: escrow.id,
        credit_account_id: credit,
        amount_minor,
        asset: call.asset,
        code,
        metadata: { call_id: call.id, peer_id: peer.id },
      });
    }
    if (batch.length === 0) return;
    for (const r of await ledger.createTransfers(tx, batch, { linked: true })) {
      if (r.result !== "created" && r.result !== "exists") throw transferProblem(r);
    }
  }

  /** Voids the caller's hold; a hold that already expired or was voided returned the money. */
  async function refund(tx: Tx, call: RoutedCall) {
    if (call.routed_minor === 0n) return;
    const r = await ledger.transfer(tx, {
      op: "void",
      id: `${call.id}.void`,
      pending_id: call.hold_id,
    });
    const done = ["created", "exists", "hold_expired", "pending_already_voided"];
    if (!done.includes(r.result)) throw transferProblem(r);
  }

  /** Ends a call in one transaction: state, money and this hub's receipt together. */
  async function finish(call: RoutedCall, peer: Peer, answer: ProviderAnswer, latency_ms: number) {
    const event = answer.kind === "delivered" ? "settle" : "refund";
    const state = nextCallState(call.state, event);
    if (state === null) throw new Error(`call ${call.id} cannot ${event} from ${call.state}`);
    const price_minor =
      answer.kind === "delivered" ? cappedPrice(answer.price_minor, call.price_minor) : 0n;
    const fee_minor = fee(price_minor, call.fee_bps);
    // A refunded call keeps what was held, for the record; it moved nothing.
    const money: Money =
      answer.kind === "delivered"
        ? { price_minor, fee_minor, routed_minor: price_minor + fee_minor }
        : { price_minor: call.price_minor, fee_minor: 0n, routed_minor: call.routed_minor };
    return db.transaction(async (tx) => {
      const provider_receipt = answer.kind === "failed" ? null : answer.receipt;
      const error =
        answer.kind === "delivered"
          ? null
          : answer.kind === "declined"
            ? answer.error
            : answer.detail;
      const ended = await deps.federation.finishCall(tx, call.id, {
        state,
        ...money,
        provider_status: answer.kind === "failed" ? answer.status : 200,
        provider_receipt,
        error,
        latency_ms,
        now_ms: clock.now_ms(),
      });
      // The stuck-call sweep got there first (it refunded): this transaction must not pay.
      if (!ended) {
        throw new Problem(federationProblems.FEDERATION_PEER_FAILED, "the call timed out here");
      }
      if (answer.kind === "delivered") await settle(tx, call, peer, money);
      else await refund(tx, call);
      const agx_receipt = await deps.receipts.issue(tx, {
        kind: state === "settled" ? "settlement" : "refund",
        subject: call.caller_id,
        purpose: "aimp-routed-invoke",
        money: {
          amount_minor: money.routed_minor,
          asset: call.asset,
          decimals: deps.decimalsOf(call.asset),
        },
        payment_rail: "agx-ledger",
        chain_key: call.id,
        details: {
          call_id: call.id,
          source_hub: peer.hub_url,
          product_id: call.product_id,
          capability_id: call.capability_id,
          provider_price_minor: money.price_minor.toString(),
          routing_fee_minor: money.fee_minor.toString(),
          routing_fee_bps: call.fee_bps,
          provider_receipt,
          ...(error ? { error } : {}),
        },
      });
      return { state, money, provider_receipt, error, agx_receipt };
    });
  }

  /** One routed call, end to end. Peer failures refund the caller and throw FEDERATION_PEER_FAILED. */
  async function invoke(spec: RoutedInvokeSpec): Promise<RoutedOutcome> {
    const { peer, credential, signer_public_key } = await resolve(spec);
    const at = { ...spec, hub_url: peer.hub_url, decimals: deps.decimalsOf(peer.route_asset) };
    const priced = await quoteAtProvider(deps.fetch, at);
    if (!priced.ok) {
      throw new Problem(
        federationProblems.FEDERATION_PEER_FAILED,
        `pricing at ${peer.hub_url}: ${priced.detail}`,
      );
    }
    const call = await open(spec, peer, priced.price_minor);
    const started = clock.now_ms();
    const answer = await invokeAtProvider(deps.fetch, {
      ...at,
      call_id: call.id,
      credential,
      signer_public_key,
      routing_hub: deps.publicUrl(),
      fee_bps: call.fee_bps,
    });
    const latency_ms = Math.max(0, clock.now_ms() - started);
    if (answer.kind === "delivered" && answer.price_minor > call.price_minor) {
      deps.logger.warn({ call_id: call.id }, "the provider charged more than it quoted");
    }
    const done = await finish(call, peer, answer, latency_ms);
    const ended: RoutedCall = {
      ...call,
      ...done.money,
      state: done.state,
      error: done.error,
      provider_receipt: done.provider_receipt,
      latency_ms,
    };
    const success = answer.kind === "delivered";
    const receipt = signReceiptV1(
      {
        nonce: done.agx_receipt.id,
        product_id: call.product_id,
        capability_id: call.capability_id,
        price_usd: success
          ? Number(minorToDecimal(done.money.routed_minor, deps.decimalsOf(call.asset)))
          : 0,
        timestamp: new Date(started).toISOString().replace(/\.\d{3}Z$/, "Z"),
        success,
        latency_ms,
      },
      await deps.signer(),
    );
    if (answer.kind === "failed") {
      throw new Problem(
        federationProblems.FEDERATION_PEER_FAILED,
        `${peer.hub_url} ${answer.detail}; the caller was refunded`,
        { extensions: { call_id: call.id, refunded: true, receipt_id: done.agx_receipt.id } },
      );
    }
    return {
      success,
      call: ended,
      peer,
      result: answer.kind === "delivered" ? answer.result : null,
      error: done.error,
      receipt: receipt as unknown as Record<string, unknown>,
      provider_receipt: done.provider_receipt,
      agx_receipt: done.agx_receipt,
    };
  }

  /** Refunds calls lost mid-flight (a crash between hold and outcome); returns how many. */
  async function recoverStuck(): Promise<number> {
    const before = clock.now_ms() - FL.call_stuck_after_ms;
    const stuck = await deps.federation.stuckCalls(
      db.kysely,
      before,
      FL.calls_recovered_per_tick_max,
    );
    let recovered = 0;
    for (const call of stuck) {
      const ended = await db.transaction(async (tx) => {
        const ok = await deps.federation.finishCall(tx, call.id, {
          state: "refunded",
          price_minor: call.price_minor,
          fee_minor: 0n,
          routed_minor: call.routed_minor,
          provider_status: null,
          provider_receipt: null,
          error: "no outcome was recorded in time",
          latency_ms: null,
          now_ms: clock.now_ms(),
        });
        if (ok) await refund(tx, call);
        return ok;
      });
      if (ended) recovered++;
    }
    return recovered;
  }

  return { invoke, recoverStuck };
}

export type Routing = ReturnType<typeof createRouting>;

/** What the caller pays for: the provider's charge, never more than the quote it agreed to. */
function cappedPrice(charged: bigint, quoted: bigint): bigint {
  // Bigints: Math.min takes numbers only.
  return charged > quoted ? quoted : charged;
}
