/**
 * Talking to a provider hub about one routed call: its price for an input, and its paid invoke
 * with this hub's credential there. The answer is judged here (the receipt must verify with
 * the key of the peer's last verified manifest and name this call), so the routing flow only
 * decides about money.
 */
import { parsePyJson, pyNumberText, verifyReceipt } from "../aimp/index.ts";
import { isProblem } from "../kernel/problem.ts";
import { federationLimits as L } from "./limits.ts";
import type { RouteCredentialKind } from "./model.ts";
import { capabilityPath, type PeerFetch } from "./peer-client.ts";
import { decimalTextToMinorCeil, numberText } from "./usd.ts";

/** What the provider hub answered a paid invoke, judged. */
export type ProviderAnswer =
  | { kind: "delivered"; result: unknown; receipt: Record<string, unknown>; price_minor: bigint }
  | { kind: "declined"; error: string; receipt: Record<string, unknown>; status: number }
  | { kind: "failed"; detail: string; status: number | null };

/** One call at a provider hub. */
export interface ProviderCall {
  hub_url: string;
  product_id: string;
  capability_id: string;
  input: unknown;
  /** Minor-unit decimals of the asset this hub charges in. */
  decimals: number;
}

/** The provider's price for this input in minor units (rounded up), or why there is none. */
export async function quoteAtProvider(
  fetch: PeerFetch,
  call: ProviderCall,
): Promise<{ ok: true; price_minor: bigint } | { ok: false; detail: string }> {
  let res: Awaited<ReturnType<PeerFetch>>;
  try {
    res = await fetch({
      url: `${call.hub_url}/ai-market/pricing/${capabilityPath(call.product_id, call.capability_id)}`,
      timeout_ms: L.quote_timeout_ms,
      max_bytes: L.quote_bytes_max,
      json: { input: call.input },
    });
  } catch (error) {
    if (!isProblem(error)) throw error;
    return { ok: false, detail: error.detail };
  }
  if (res.status !== 200) return { ok: false, detail: `answered HTTP ${res.status}` };
  const body = safeJson(res.body.toString("utf8")) as {
    price?: { amount?: unknown };
    price_usd?: unknown;
  } | null;
  // agx hubs give the exact decimal; other hubs only the float price_usd.
  const text =
    typeof body?.price?.amount === "string"
      ? body.price.amount
      : typeof body?.price_usd === "number"
        ? numberText(body.price_usd)
        : null;
  const minor = text === null ? null : decimalTextToMinorCeil(text, call.decimals);
  return minor === null
    ? { ok: false, detail: "the answer names no price" }
    : { ok: true, price_minor: minor };
}

/** Calls the provider's paid invoke as this hub, and judges the answer. Never throws for it. */
export async function invokeAtProvider(
  fetch: PeerFetch,
  call: ProviderCall & {
    call_id: string;
    credential: { kind: RouteCredentialKind; secret: string };
    signer_public_key: string;
    routing_hub: string;
    fee_bps: number;
  },
): Promise<ProviderAnswer> {
  let res: Awaited<ReturnType<PeerFetch>>;
  try {
    res = await fetch({
      url: `${call.hub_url}/capabilities/${capabilityPath(call.product_id, call.capability_id)}/invoke`,
      timeout_ms: L.invoke_timeout_ms,
      max_bytes: L.invoke_response_bytes_max,
      json: { input: call.input },
      headers: {
        ...(call.credential.kind === "api_key"
          ? { authorization: `Bearer ${call.credential.secret}` }
          : { "x-payment-channel": call.credential.secret }),
        // The provider replays instead of charging twice if this call is ever retried.
        "idempotency-key": call.call_id,
        "x-aimarket-routing-hub": call.routing_hub,
        "x-aimarket-routing-fee": String(call.fee_bps),
      },
    });
  } catch (error) {
    if (!isProblem(error)) throw error;
    return { kind: "failed", detail: error.detail, status: null };
  }
  const text = res.body.toString("utf8");
  const body = safeJson(text) as { success?: unknown; result?: unknown; error?: unknown } | null;
  if (res.status !== 200 || body === null || typeof body.success !== "boolean") {
    return { kind: "failed", detail: `answered HTTP ${res.status}`, status: res.status };
  }
  // Verified on the text as parsed the Python way, so float spellings hash as signed.
  const signed = (parsePyJson(text) as Record<string, unknown>).receipt;
  const verdict = verifyReceipt(signed, call.signer_public_key);
  const r = signed as Record<string, unknown>;
  if (
    !verdict.valid ||
    r.product_id !== call.product_id ||
    r.capability_id !== call.capability_id ||
    r.success !== body.success
  ) {
    return { kind: "failed", detail: "its receipt does not verify", status: res.status };
  }
  const receipt = (body as { receipt: Record<string, unknown> }).receipt;
  if (!body.success) {
    const error = typeof body.error === "string" ? body.error : "the provider failed";
    return { kind: "declined", error, receipt, status: res.status };
  }
  const price_minor = decimalTextToMinorCeil(pyNumberText(r.price_usd as never), call.decimals);
  if (price_minor === null)
    return { kind: "failed", detail: "its receipt names no price", status: 200 };
  return { kind: "delivered", result: body.result, receipt, price_minor };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
