import { Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { catalogProblems, priceOf } from "../../../catalog/index.ts";
import { aimpReceiptOf, type InvokePayment, invoke } from "../../../flows/invoke.ts";
import type { Delegated } from "../../../flows/purchase.ts";
import { type TxPaymentProof, txProofFromHeader, txProofsFor } from "../../../flows/tx-proof.ts";
import { addressOwnerId } from "../../../flows/x402.ts";
import { invokeWithX402 } from "../../../flows/x402-invoke.ts";
import { newId } from "../../../kernel/ids.ts";
import { canonicalJson, sha256Hex } from "../../../kernel/json.ts";
import { limits } from "../../../kernel/limits.ts";
import { minorToDecimal } from "../../../kernel/money.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import { orderProblems } from "../../../orders/index.ts";
import { receiptHeaders } from "../../../receipts/index.ts";
import type { GateRequest, X402Challenge } from "../../../x402/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { type Purchaser, pairingTokenOf, purchaserOf } from "../../purchaser.ts";
import { decimalsOf } from "../../wire.ts";
import { type AimpCapability, capabilityIdOf, findCapability, usdPerCall } from "./tools.ts";

const Params = Type.Object({
  product: Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]{1,79}$" }),
  capability: Type.String({ pattern: "^[a-z][a-z0-9_-]{0,39}@v[0-9]+$" }),
});
const Body = Type.Object({ input: Type.Unknown() }, { additionalProperties: false });

/** The 402 of an unpaid invoke: X-Payment-Required (AIMP v1) plus the same in problem+json. */
function paymentRequired(
  ctx: AppContext,
  cap: AimpCapability,
  detail: string,
  x402?: X402Challenge,
): Problem {
  const p = cap.service.pricing;
  const amount_minor = p.amount_minor ?? p.minimum_minor ?? 0n;
  const nonce = newId("pay");
  const requirements = {
    amount: minorToDecimal(amount_minor, decimalsOf(ctx, p.asset)),
    token: p.asset,
    chain: "agx-ledger",
    recipient: ctx.publicUrl(),
    nonce,
    expires_at: new Date(ctx.clock.now_ms() + limits.quote_ttl_ms).toISOString(),
    receipt_url: `/ai-market/receipt/${nonce}`,
  };
  return new Problem(orderProblems.PAYMENT_REQUIRED, detail, {
    headers: { "x-payment-required": JSON.stringify(requirements), ...x402?.headers },
    extensions: {
      payment_required: requirements,
      // x402 clients read PAYMENT-REQUIRED (v2) or these body fields (v1).
      ...(x402 ? { x402Version: x402.body.x402Version, accepts: x402.body.accepts } : {}),
      rails: [
        { rail: "prepaid", how: "send Authorization: Bearer <api key> of a funded account" },
        {
          rail: "channel",
          how: "open a channel (POST /ai-market/channel/open) and send X-Payment-Channel",
        },
        ...(x402
          ? [{ rail: "x402", how: "pay with PAYMENT-SIGNATURE (v2) or X-PAYMENT (v1)" }]
          : []),
      ],
    },
  });
}

async function handle(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  ids: { product: string; capability: string },
  input: unknown,
) {
  const cap = await findCapability(ctx, ctx.db.kysely, ids.product, ids.capability);
  const x402 = x402For(ctx, cap, request);
  // AIMP's `X-Payment: {"tx_hash","chain"}` is raw JSON; x402 v1's X-PAYMENT (same header name,
  // Node lower-cases both) is base64 JSON, which never starts with `{`.
  const xPayment = request.headers["x-payment"];
  if (typeof xPayment === "string" && xPayment.trimStart().startsWith("{")) {
    const proof = txProofFromHeader(xPayment);
    if (!proof) {
      throw new Problem(
        orderProblems.PAYMENT_PROOF_INVALID,
        'X-Payment must be {"tx_hash": "0x…", "chain": "eip155:<id>"}',
      );
    }
    return handleTxProof(ctx, request, reply, cap, x402, proof, input);
  }
  if (
    x402 &&
    (request.headers["payment-signature"] ?? request.headers["x-payment"]) !== undefined
  ) {
    return handleX402(ctx, request, reply, cap, x402, input);
  }
  const channelHeader = request.headers["x-payment-channel"];
  const channel_id = typeof channelHeader === "string" ? channelHeader.trim() : null;
  if (!request.caller && pairingTokenOf(request) === undefined)
    throw paymentRequired(
      ctx,
      cap,
      "this capability is paid; authenticate with a funded key or a channel",
      x402 ? await x402.gate.challenge(x402.request, "Payment required") : undefined,
    );
  const who = whoOf(await purchaserOf(ctx, ctx.db.kysely, request, { recheck: true }));
  const payment: InvokePayment = channel_id
    ? { rail: "channel", channel_id, ...who }
    : { rail: "prepaid", ...who };
  return runInvoke(ctx, request, reply, cap, x402, payment, input);
}

const whoOf = (p: Purchaser) => ({
  buyer_id: p.buyer_id,
  actor_id: p.actor_id,
  ...(p.delegated ? { delegated: p.delegated } : {}),
});

/**
 * An invoke paid by a transfer the caller made to the hub itself (peaq wdk-usdt-transfer):
 * the sender must be an address the caller bound (so nobody claims a transfer they only saw),
 * the transfer is checked over RPC for the call's price, and its hash is claimed for the call's
 * order, once, ever (a second use is PAYMENT_TX_ALREADY_USED), before the provider is called.
 */
async function handleTxProof(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  cap: AimpCapability,
  x402: ReturnType<typeof x402For>,
  proof: TxPaymentProof,
  input: unknown,
) {
  if (!request.caller && pairingTokenOf(request) === undefined) {
    throw new Problem(
      kernelProblems.UNAUTHENTICATED,
      "a transaction proof pays only for a caller that bound the sending address: send your " +
        "API key (or pairing token) with X-Payment",
    );
  }
  const purchaser = await purchaserOf(ctx, ctx.db.kysely, request, { recheck: true });
  const price = priceOf(cap.service.pricing, input);
  if (!price) {
    throw new Problem(
      catalogProblems.QUOTE_NOT_AVAILABLE,
      `${cap.service.name} must be quoted by its provider`,
    );
  }
  const check = await txProofsFor(ctx).checkInvokeProof({
    buyer_id: purchaser.buyer_id,
    pairing_id: purchaser.delegated?.pairing_id ?? null,
    asset: cap.service.pricing.asset,
    amount_min: price.amount_minor,
    proof,
  });
  const payment: InvokePayment = { rail: "wdk-usdt-transfer", check, ...whoOf(purchaser) };
  return runInvoke(ctx, request, reply, cap, x402, payment, input);
}

/** Runs a paid invoke on the hub's ledger and answers it (a 402 when the balance is short). */
async function runInvoke(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  cap: AimpCapability,
  x402: ReturnType<typeof x402For>,
  payment: InvokePayment,
  input: unknown,
) {
  try {
    const out = await invoke(
      {
        db: ctx.db,
        purchases: ctx.purchases,
        fulfilment: ctx.fulfilment,
        orders: ctx.orders,
        usdOf: (minor, asset) => Number(minorToDecimal(minor, decimalsOf(ctx, asset))),
        signer: async () => (await ctx.keys.signingKey(ctx.db.kysely)).privateKey,
        ...(payment.rail === "wdk-usdt-transfer" ? { txProofs: txProofsFor(ctx) } : {}),
      },
      {
        service: cap.service,
        product_id: cap.product_id,
        capability_id: cap.capability_id,
        operation: cap.operation.name,
        input,
        payment,
        skill: cap.skill,
        // A retry with the same Idempotency-Key whose first answer was never stored (the process
        // died mid-call) finds the first order instead of buying again.
        ...(request.idem
          ? { client_ref: `idem:${sha256Hex(canonicalJson(request.idem.scope)).slice(0, 40)}` }
          : {}),
      },
    );
    if (out.peac_receipt) {
      reply.headers(
        receiptHeaders(out.peac_receipt, `${ctx.publicUrl()}/peac/receipts/${out.peac_receipt.id}`),
      );
    }
    return answer(ctx, cap, out);
  } catch (error) {
    // A key whose balance does not cover the price may still pay this call with x402.
    if (error instanceof Problem && error.code === "PAYMENT_REQUIRED")
      throw paymentRequired(
        ctx,
        cap,
        error.detail,
        x402 ? await x402.gate.challenge(x402.request, "Payment required") : undefined,
      );
    throw error;
  }
}

/** x402 terms for this capability: a fixed price in the token's ledger asset, else null. */
function x402For(ctx: AppContext, cap: AimpCapability, request: FastifyRequest) {
  const x = ctx.x402;
  const price = cap.service.pricing;
  if (!x || price.asset !== x.asset || price.amount_minor === null || price.amount_minor <= 0n) {
    return null;
  }
  if (!ctx.purchases.acceptsRail(cap.service, "x402")) return null;
  const gateRequest: GateRequest = {
    headers: request.headers,
    amount_atomic: price.amount_minor,
    resource: {
      url: `${ctx.publicUrl()}${request.url}`,
      description: cap.service.description,
      mimeType: "application/json",
    },
    bazaar: {
      method: "POST",
      input: { input: cap.operation.examples?.[0]?.input ?? {} },
      input_schema: { type: "object", properties: { input: cap.operation.input_schema } },
      output_example: cap.operation.examples?.[0]?.output ?? {},
    },
  };
  return { ...x, request: gateRequest };
}

/** An invoke paid with x402 (PAYMENT-SIGNATURE or X-PAYMENT): verify, run, settle, answer. */
async function handleX402(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  cap: AimpCapability,
  x: NonNullable<ReturnType<typeof x402For>>,
  input: unknown,
) {
  const decision = await x.gate.check(x.request);
  if (decision.kind === "none" || decision.kind === "invalid") {
    const why = decision.kind === "invalid" ? decision.reason : "payment required";
    throw paymentRequired(ctx, cap, `x402: ${why}`, decision.challenge);
  }
  if (decision.kind === "refused") throw decision.problem;
  if (decision.kind === "replay") {
    reply.headers(decision.headers);
    return { success: true, result: decision.result, replayed: true };
  }
  const payment = decision.payment;
  let buyer: { buyer_id: string; delegated?: Delegated };
  try {
    if (request.caller || pairingTokenOf(request) !== undefined) {
      const p = await purchaserOf(ctx, ctx.db.kysely, request, { recheck: true });
      buyer = { buyer_id: p.buyer_id, ...(p.delegated ? { delegated: p.delegated } : {}) };
    } else {
      // A payer without a hub account is known by its address (CAIP-10).
      buyer = { buyer_id: addressOwnerId(payment.network, payment.payer) };
    }
  } catch (error) {
    await payment.cancel();
    throw error;
  }
  const out = await invokeWithX402(
    {
      db: ctx.db,
      ledger: ctx.ledger,
      orders: ctx.orders,
      purchases: ctx.purchases,
      fulfilment: ctx.fulfilment,
      asset: x.asset,
      clock: ctx.clock,
      outbox: ctx.outbox,
      webhooks: ctx.webhookFlows,
      chains: x.chains,
    },
    {
      service: cap.service,
      operation: cap.operation.name,
      input,
      payment,
      ...buyer,
    },
  );
  reply.headers(out.payment_headers);
  if (out.peac_receipt) {
    reply.headers(
      receiptHeaders(out.peac_receipt, `${ctx.publicUrl()}/peac/receipts/${out.peac_receipt.id}`),
    );
  }
  const aimp_receipt = await aimpReceiptOf(
    {
      usdOf: (minor, asset) => Number(minorToDecimal(minor, decimalsOf(ctx, asset))),
      signer: async () => (await ctx.keys.signingKey(ctx.db.kysely)).privateKey,
    },
    {
      nonce: out.peac_receipt?.id ?? `rcpt_${out.order.id.slice(4)}`,
      product_id: cap.product_id,
      capability_id: cap.capability_id,
      order: out.order,
      success: out.success,
      started_at_ms: out.started_at_ms,
      latency_ms: out.latency_ms,
    },
  );
  return answer(ctx, cap, {
    success: out.success,
    result: out.result,
    error: out.error,
    order_id: out.order.id,
    aimp_receipt,
    amount_minor: out.order.amount_minor,
    latency_ms: out.latency_ms,
  });
}

type Suggestion = {
  product_id: string;
  capability_id: string;
  why: string;
  est_price_usd: number;
};

/**
 * What to call after a capability: up to three related ones from the catalogue. A hint, not
 * data: kept per service for a few seconds (a catalogue search per paid call was a large share
 * of its cost), in a bounded map per app.
 */
const suggestionCaches = new WeakMap<
  AppContext,
  Map<string, { at_ms: number; list: Suggestion[] }>
>();

async function suggestionsFor(ctx: AppContext, cap: AimpCapability): Promise<Suggestion[]> {
  let cache = suggestionCaches.get(ctx);
  if (!cache) {
    cache = new Map();
    suggestionCaches.set(ctx, cache);
  }
  const now_ms = ctx.clock.now_ms();
  const hit = cache.get(cap.service.id);
  if (hit && now_ms - hit.at_ms < limits.invoke_suggestions_cache_ms) return hit.list;
  const list = await relatedTo(ctx, cap);
  if (cache.size >= limits.invoke_suggestions_cache_max) cache.clear();
  cache.set(cap.service.id, { at_ms: now_ms, list });
  return list;
}

async function relatedTo(ctx: AppContext, cap: AimpCapability): Promise<Suggestion[]> {
  const related = (await ctx.catalog.search(ctx.db.kysely, cap.skill.label, {}, {}).catch(() => []))
    .filter((r) => r.service.id !== cap.service.id)
    .slice(0, 3);
  const suggested: Suggestion[] = [];
  for (const r of related) {
    const op = (await ctx.catalog.getSkill(ctx.db.kysely, r.service.skill_key))?.operations[0];
    if (op)
      suggested.push({
        product_id: r.service.name,
        capability_id: capabilityIdOf(op, r.service),
        why: r.reasons[0] ?? "related",
        est_price_usd: usdPerCall(ctx, r.service),
      });
  }
  return suggested;
}

/** The invoke answer: result, receipts, price, latency and what to call next. */
async function answer(
  ctx: AppContext,
  cap: AimpCapability,
  out: {
    success: boolean;
    result: unknown;
    error: string | null;
    order_id: string;
    aimp_receipt: Record<string, unknown>;
    amount_minor: bigint;
    latency_ms: number;
  },
) {
  const suggested = await suggestionsFor(ctx, cap);
  return {
    success: out.success,
    result: out.result,
    ...(out.error ? { error: out.error } : {}),
    order_id: out.order_id,
    receipt: out.aimp_receipt,
    price_usd: out.success
      ? Number(minorToDecimal(out.amount_minor, decimalsOf(ctx, cap.service.pricing.asset)))
      : 0,
    latency_ms: out.latency_ms,
    continuation: {
      suggested_next: suggested,
    },
  };
}

/**
 * AIMP invoke: `POST /capabilities/{product}/{capability}/invoke` (and the /ai-market alias).
 * Unpaid → 402; paid by a funded key or `X-Payment-Channel` → 200 with the result, a signed
 * AIMP receipt, the price, the latency and what to call next. A provider failure refunds.
 */
export default function aimpInvoke(app: App, ctx: AppContext) {
  for (const [path, operationId] of [
    ["/capabilities/:product/:capability/invoke", "invokeCapability"],
    ["/ai-market/capabilities/:product/:capability/invoke", "invokeCapabilityAlias"],
  ] as const) {
    app.post(
      path,
      {
        schema: {
          summary: "Invoke a paid capability (402 until paid)",
          description:
            "Paid by a funded key, `X-Payment-Channel`, x402 (`PAYMENT-SIGNATURE` or base64 " +
            '`X-PAYMENT`), or a transfer the caller made to the hub itself: `X-Payment: {"tx_hash",' +
            ' "chain"}` with its key, from an address it bound; verified over RPC, a hash pays once.',
          tags: ["ai-market"],
          operationId,
          params: Params,
          body: Body,
        },
      },
      async (request, reply) => handle(ctx, request, reply, request.params, request.body.input),
    );
  }
}
