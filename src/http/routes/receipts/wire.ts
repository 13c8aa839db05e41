import { Type } from "@sinclair/typebox";
import { isoOf } from "../../../kernel/clock.ts";
import type { StoredReceipt } from "../../../receipts/index.ts";

export const ReceiptWire = Type.Object({
  id: Type.String(),
  profile: Type.String(),
  kind: Type.String(),
  kid: Type.String(),
  jws: Type.String({ description: "Compact JWS, verifiable with /.well-known/jwks.json" }),
  ref: Type.String({ description: "sha256:<hex> of the JWS (PEAC receipt_ref)" }),
  prev_id: Type.Union([Type.String(), Type.Null()]),
  order_id: Type.Union([Type.String(), Type.Null()]),
  payment_id: Type.Union([Type.String(), Type.Null()]),
  request_digest: Type.Union([Type.String(), Type.Null()]),
  response_digest: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
});

export function receiptWire(r: StoredReceipt) {
  return {
    id: r.id,
    profile: r.profile,
    kind: r.kind,
    kid: r.kid,
    jws: r.jws,
    ref: r.ref,
    prev_id: r.prev_id,
    order_id: r.order_id,
    payment_id: r.payment_id,
    request_digest: r.request_digest,
    response_digest: r.response_digest,
    created_at: isoOf(r.created_at_ms),
  };
}
