import { minorToDecimal } from "../kernel/money.ts";
import type { ReceiptRequest } from "./model.ts";

/** Links and digests every receipt carries, whatever its profile. */
export interface ReceiptLinks {
  id: string;
  kid: string;
  issuer: string;
  iat_s: number;
  prev_id: string | null;
}

function agxExtension(r: ReceiptRequest, links: ReceiptLinks) {
  const out: Record<string, unknown> = { kind: r.kind, prev: links.prev_id };
  if (r.order_id) out.order_id = r.order_id;
  if (r.payment_id) out.payment_id = r.payment_id;
  if (r.terms_hash) out.terms_hash = r.terms_hash;
  if (r.request_digest) out.request_digest = r.request_digest;
  if (r.response_digest) out.response_digest = r.response_digest;
  if (r.details) out.details = r.details;
  return out;
}

/** The seed (wire 0.9.14) payload: flat fields, `iat` seconds, `payment.scheme` for x402. */
export function seedPayload(r: ReceiptRequest, links: ReceiptLinks): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    id: links.id,
    kid: links.kid,
    issuer: links.issuer,
    subject: r.subject,
    iat: links.iat_s,
    ...agxExtension(r, links),
  };
  if (r.purpose) payload.purpose = r.purpose;
  if (r.money) {
    payload.amount = minorToDecimal(r.money.amount_minor, r.money.decimals);
    payload.amount_minor = r.money.amount_minor.toString();
    payload.currency = r.money.asset;
  }
  if (r.payment_rail) {
    payload.method = r.payment_rail;
    if (r.payment_rail === "x402") payload.payment = { scheme: "x402" };
  }
  if (r.expires_in_s !== undefined) payload.exp = links.iat_s + r.expires_in_s;
  return payload;
}

const COMMERCE_EVENT: Partial<Record<ReceiptRequest["kind"], string>> = {
  payment: "authorization",
  settlement: "settlement",
  refund: "refund",
};

/** The type a receipt kind is recorded under; payments use PEAC's registered payment type. */
function wireType(kind: ReceiptRequest["kind"]): string {
  return kind === "payment" || kind === "settlement" || kind === "refund"
    ? "org.peacprotocol/payment"
    : `dev.agx/${kind}`;
}

/** The Wire 0.2 payload: strict envelope, agx details in extensions, never `exp`. */
export function wire02Payload(r: ReceiptRequest, links: ReceiptLinks): Record<string, unknown> {
  const extensions: Record<string, unknown> = { "dev.agx/receipt": agxExtension(r, links) };
  const type = wireType(r.kind);
  if (type === "org.peacprotocol/payment") {
    const amount = r.money?.amount_minor ?? 0n;
    extensions["org.peacprotocol/commerce"] = {
      payment_rail: r.payment_rail ?? "agx-ledger",
      amount_minor: (r.kind === "refund" ? -amount : amount).toString(),
      currency: r.money?.asset ?? "USDC",
      event: COMMERCE_EVENT[r.kind] ?? "settlement",
      ...(r.payment_id ? { reference: r.payment_id } : {}),
    };
  }
  const payload: Record<string, unknown> = {
    peac_version: "0.2",
    kind: "evidence",
    type,
    iss: links.issuer,
    iat: links.iat_s,
    jti: links.id,
    sub: r.subject,
    extensions,
  };
  if (r.purpose) payload.purpose_declared = r.purpose;
  return payload;
}

/**
 * The issuer name for Wire 0.2, which demands a canonical https origin or a DID: the public URL
 * when it is https, else a did:web of the host (local and test hubs).
 */
export function canonicalIssuer(public_url: string): string {
  const url = new URL(public_url);
  if (url.protocol === "https:") return url.origin.toLowerCase();
  const host = url.port ? `${url.hostname}%3A${url.port}` : url.hostname;
  return `did:web:${host.toLowerCase()}`;
}
