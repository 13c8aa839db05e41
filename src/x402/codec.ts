import {
  encodePaymentRequiredHeader,
  encodePaymentResponseHeader,
  encodePaymentSignatureHeader,
} from "@x402/core/http";
import { parsePaymentPayload } from "@x402/core/schemas";
import type { PaymentRequired, SettleResponse } from "@x402/core/types";
import { x402Limits } from "./limits.ts";
import type { AnyPaymentPayload } from "./model.ts";

/**
 * The x402 HTTP headers. Values are standard base64 (with padding) of UTF-8 JSON, as the
 * transport specs and @x402/core write them. Node lower-cases incoming names.
 */
export const X402_HEADERS = {
  /** v2 402 challenge. */
  payment_required: "PAYMENT-REQUIRED",
  /** v2 payment from the client. */
  payment_signature: "PAYMENT-SIGNATURE",
  /** v2 settlement result. */
  payment_response: "PAYMENT-RESPONSE",
  /** v1 payment from the client. */
  x_payment: "X-PAYMENT",
  /** v1 settlement result. */
  x_payment_response: "X-PAYMENT-RESPONSE",
} as const;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Why a payment header could not be read; becomes the 402's `error`. */
export type HeaderDefect = "invalid_payment_header" | "payment_header_too_large";

/**
 * Reads a PAYMENT-SIGNATURE or X-PAYMENT value into a payload of the expected version: bounded,
 * standard base64, JSON, and the @x402/core schema of that version. Never throws.
 */
export function decodePaymentHeader(
  value: string,
  version: 1 | 2,
): { ok: true; payload: AnyPaymentPayload } | { ok: false; defect: HeaderDefect } {
  if (Buffer.byteLength(value) > x402Limits.payment_header_bytes_max) {
    return { ok: false, defect: "payment_header_too_large" };
  }
  const text = value.trim();
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) {
    return { ok: false, defect: "invalid_payment_header" };
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, "base64").toString("utf8"));
  } catch {
    return { ok: false, defect: "invalid_payment_header" };
  }
  const parsed = parsePaymentPayload(json);
  if (!parsed.success || parsed.data.x402Version !== version) {
    return { ok: false, defect: "invalid_payment_header" };
  }
  // The schema checked the shape; the raw JSON keeps fields it does not know (extensions).
  return { ok: true, payload: json as AnyPaymentPayload };
}

/** PAYMENT-SIGNATURE / X-PAYMENT value of a payload (clients and tests). */
export function encodePaymentHeader(payload: AnyPaymentPayload): string {
  return encodePaymentSignatureHeader(payload as never);
}

/** PAYMENT-REQUIRED value of a v2 PaymentRequired. */
export function encodeRequiredHeader(required: PaymentRequired): string {
  return encodePaymentRequiredHeader(required);
}

/** PAYMENT-RESPONSE / X-PAYMENT-RESPONSE value of a settlement answer. */
export function encodeResponseHeader(response: SettleResponse): string {
  return encodePaymentResponseHeader(response);
}

/** Decodes any of the x402 base64 JSON header values (tests and clients). */
export function decodeHeaderJson<T>(value: string): T {
  return JSON.parse(Buffer.from(value, "base64").toString("utf8")) as T;
}
