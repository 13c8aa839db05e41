import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { aimpReceiptOf } from "../flows/invoke.ts";
import type { Delegated } from "../flows/purchase.ts";
import { invokeWithX402 } from "../flows/x402-invoke.ts";
import type { AppContext } from "../http/context.ts";
import type { AimpCapability } from "../http/routes/aimp/tools.ts";
import { decimalsOf } from "../http/wire.ts";
import { stringifyWithBigints } from "../kernel/json.ts";
import { minorToDecimal } from "../kernel/money.ts";
import { Problem } from "../kernel/problem.ts";
import { orderProblems } from "../orders/index.ts";
import { receiptRef } from "../receipts/index.ts";
import { type AnyPaymentPayload, encodePaymentHeader, type GateRequest } from "../x402/index.ts";

/** The `_meta` keys of the x402 MCP transport (x402 specs/transports-v2/mcp.md). */
export const X402_MCP_META = {
  payment: "x402/payment",
  payment_response: "x402/payment-response",
} as const;

/** A tool answer that is already an MCP result (x402 needs `_meta` and its own error shape). */
export class RawToolResult {
  constructor(readonly result: CallToolResult) {}
}

const json = (value: unknown) => JSON.parse(stringifyWithBigints(value)) as Record<string, unknown>;

/** The x402 gate for a capability called over MCP: a fixed price in the token's asset, or null. */
export function x402ForTool(ctx: AppContext, cap: AimpCapability, tool_name: string) {
  const x = ctx.x402;
  const price = cap.service.pricing;
  if (!x || price.asset !== x.asset || price.amount_minor === null || price.amount_minor <= 0n) {
    return null;
  }
  if (!ctx.purchases.acceptsRail(cap.service, "x402")) return null;
  const request: Omit<GateRequest, "headers"> = {
    amount_atomic: price.amount_minor,
    // The MCP transport names a tool as the resource; the HTTP route names its URL.
    resource: {
      url: `mcp://tool/${tool_name}`,
      description: cap.service.description,
      mimeType: "application/json",
    },
  };
  return { ...x, request };
}
type ToolX402 = NonNullable<ReturnType<typeof x402ForTool>>;

/**
 * "Payment required" as the x402 MCP transport says: a tool result (not a JSON-RPC error) with
 * `isError`, the PaymentRequired as structuredContent, and the same JSON as the text.
 */
export async function paymentRequiredResult(x: ToolX402, error: string): Promise<CallToolResult> {
  const challenge = await x.gate.challenge({ ...x.request, headers: {} }, error);
  const required = json(challenge.payment_required);
  return {
    isError: true,
    structuredContent: required,
    content: [{ type: "text", text: JSON.stringify(required) }],
  };
}

function problemResult(problem: Problem, meta?: Record<string, unknown>): CallToolResult {
  const body = json(problem.toBody());
  return {
    isError: true,
    structuredContent: body,
    content: [{ type: "text", text: JSON.stringify(body) }],
    ...(meta ? { _meta: meta } : {}),
  };
}

/** A payment from `_meta["x402/payment"]`: a PaymentPayload object (not base64), v1 or v2. */
function payloadOf(value: unknown): AnyPaymentPayload | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const version = (value as { x402Version?: unknown }).x402Version;
  return version === 1 || version === 2 ? (value as AnyPaymentPayload) : null;
}

/** Who an x402-paid tool call books to: an account, a paired agent's owner, or the payer. */
export interface BuyerOfX402 {
  buyer_id: string;
  delegated?: Delegated;
}

/**
 * A tool call paid with x402 in `_meta`: the same gate and flow as the HTTP route (verify, run,
 * settle only a success, book it), with the settlement in `_meta["x402/payment-response"]`.
 * A payment that does not verify, or whose settlement failed, answers PaymentRequired again and
 * no tool content; failed work is never settled.
 */
export async function invokeWithX402Meta(
  ctx: AppContext,
  x: ToolX402,
  cap: AimpCapability,
  spec: {
    input: unknown;
    buyer: (payer: { network: string; payer: string }) => Promise<BuyerOfX402>;
    payment: unknown;
  },
): Promise<CallToolResult> {
  const payload = payloadOf(spec.payment);
  if (!payload) return paymentRequiredResult(x, "invalid_payment: x402/payment is not a payload");
  const header = payload.x402Version === 2 ? "payment-signature" : "x-payment";
  let encoded: string;
  try {
    encoded = encodePaymentHeader(payload);
  } catch {
    return paymentRequiredResult(x, "invalid_payment: x402/payment cannot be encoded");
  }
  const decision = await x.gate.check({ ...x.request, headers: { [header]: encoded } });
  if (decision.kind === "none" || decision.kind === "invalid") {
    const why = decision.kind === "invalid" ? decision.reason : "Payment required";
    return paymentRequiredResult(x, why);
  }
  if (decision.kind === "refused") return problemResult(decision.problem);
  if (decision.kind === "replay") {
    const out = { success: true, result: decision.result, replayed: true };
    return {
      content: [{ type: "text", text: JSON.stringify(json(out)) }],
      structuredContent: json(out),
      _meta: { [X402_MCP_META.payment_response]: json(decision.settlement) },
    };
  }
  const deps = {
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
  };
  let buyer: BuyerOfX402;
  try {
    buyer = await spec.buyer(decision.payment);
  } catch (error) {
    await decision.payment.cancel();
    if (error instanceof Problem) return problemResult(error);
    throw error;
  }
  let out: Awaited<ReturnType<typeof invokeWithX402>>;
  try {
    out = await invokeWithX402(deps, {
      service: cap.service,
      operation: cap.operation.name,
      input: spec.input,
      payment: decision.payment,
      buyer_id: buyer.buyer_id,
      ...(buyer.delegated ? { delegated: buyer.delegated } : {}),
    });
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    if (error.code === "X402_SETTLEMENT_FAILED" || error.code === "X402_PAYMENT_INVALID") {
      return paymentRequiredResult(x, error.detail);
    }
    return problemResult(error);
  }
  if (!out.success) {
    return problemResult(
      new Problem(orderProblems.EXECUTION_FAILED, out.error ?? "the provider failed", {
        extensions: { order_id: out.order.id, settled: false },
      }),
    );
  }
  return successResult(ctx, cap, out);
}

async function successResult(
  ctx: AppContext,
  cap: AimpCapability,
  out: Awaited<ReturnType<typeof invokeWithX402>>,
): Promise<CallToolResult> {
  const decimals = decimalsOf(ctx, out.order.asset);
  const receipt = await aimpReceiptOf(
    {
      usdOf: (minor, asset) => Number(minorToDecimal(minor, decimalsOf(ctx, asset))),
      signer: async () => (await ctx.keys.signingKey(ctx.db.kysely)).privateKey,
    },
    {
      nonce: out.peac_receipt?.id ?? `rcpt_${out.order.id.slice(4)}`,
      product_id: cap.product_id,
      capability_id: cap.capability_id,
      order: out.order,
      success: true,
      started_at_ms: out.started_at_ms,
      latency_ms: out.latency_ms,
    },
  );
  const jws = out.peac_receipt?.jws ?? null;
  const body = json({
    success: true,
    order_id: out.order.id,
    result: out.result,
    receipt,
    peac_receipt: jws,
    price: { amount: minorToDecimal(out.order.amount_minor, decimals), asset: out.order.asset },
    rail: "x402",
    latency_ms: out.latency_ms,
  });
  return {
    content: [{ type: "text", text: JSON.stringify(body) }],
    structuredContent: body,
    _meta: {
      [X402_MCP_META.payment_response]: json(out.settlement),
      ...(jws
        ? {
            "org.peacprotocol/receipt_ref": receiptRef(jws),
            "org.peacprotocol/receipt_jws": jws,
          }
        : {}),
    },
  };
}
