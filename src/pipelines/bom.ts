import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { minorToDecimal } from "../kernel/money.ts";
import type { PipelineJob, PipelineStep } from "./model.ts";

/** The JWS `typ` of a bill of materials. */
export const BOM_TYP = "agx-bom+jwt";

const digest = (value: unknown) => `sha256:${sha256Hex(canonicalJson(value ?? null))}`;

/** Money as the wire carries it: an exact decimal string, its minor units, its asset. */
export function moneyOf(amount_minor: bigint, asset: string, decimals: number) {
  return { amount: minorToDecimal(amount_minor, decimals), amount_minor: `${amount_minor}`, asset };
}

/** A step as answers and the job's page show it. */
export function stepWire(s: PipelineStep, decimals: number) {
  const price = minorToDecimal(s.price_minor, decimals);
  return {
    node_id: s.node_id,
    product_id: s.product_id,
    capability_id: s.capability_id,
    status: s.status,
    success: s.status === "succeeded",
    order_id: s.order_id,
    receipt_id: s.receipt_id,
    price,
    price_minor: `${s.price_minor}`,
    // AI Market Protocol v1 prints prices as USD numbers; the exact amount is `price`.
    price_usd: Number(price),
    latency_ms: s.latency_ms,
    error: s.error,
  };
}

/**
 * The claims of a bill of materials: per step its receipt, price, success and the digests
 * (sha256 of the RFC 8785 canonical JSON) of what went in and came out; the total spent, the
 * quote and the refund. Signed by the hub as a compact JWS of typ `agx-bom+jwt`.
 */
export function bomClaims(
  job: PipelineJob,
  steps: readonly PipelineStep[],
  money: { spent_minor: bigint; refunded_minor: bigint; decimals: number },
  meta: { issuer: string; now_ms: number },
) {
  const total = minorToDecimal(money.spent_minor, money.decimals);
  return {
    iss: meta.issuer,
    sub: job.owner_id,
    iat: Math.floor(meta.now_ms / 1000),
    jti: job.trace_id,
    trace_id: job.trace_id,
    job_id: job.id,
    asset: job.asset,
    steps: steps.map((s) => {
      const ran = s.status === "succeeded" || (s.status === "failed" && s.order_id !== null);
      return {
        node_id: s.node_id,
        product_id: s.product_id,
        capability_id: s.capability_id,
        status: s.status,
        success: s.status === "succeeded",
        receipt_id: s.receipt_id,
        order_id: s.order_id,
        price: minorToDecimal(s.price_minor, money.decimals),
        price_minor: `${s.price_minor}`,
        price_usd: Number(minorToDecimal(s.price_minor, money.decimals)),
        input_digest: ran ? digest(s.input) : null,
        output_digest: s.status === "succeeded" ? digest(s.output) : null,
        latency_ms: s.latency_ms,
      };
    }),
    total,
    total_minor: `${money.spent_minor}`,
    total_usd: Number(total),
    quoted_minor: `${job.quoted_minor}`,
    reserved_minor: `${job.reserved_minor}`,
    refunded_minor: `${money.refunded_minor}`,
  };
}

export type BomClaims = ReturnType<typeof bomClaims>;
