import { Point } from "@noble/ed25519";

/** The order of the Ed25519 base point: a canonical signature has S < L. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0);
  return n;
}

/**
 * True when a raw Ed25519 public key is a canonical encoding of a point of large order.
 * node:crypto (OpenSSL) and therefore jose accept small-order keys, with which forged
 * signatures verify for many messages; PEAC's profile rejects them, so do we.
 */
export function isStrongPublicKey(raw: Uint8Array): boolean {
  if (raw.length !== 32) return false;
  try {
    const point = Point.fromHex(Buffer.from(raw).toString("hex"), false);
    return !point.isSmallOrder();
  } catch {
    return false;
  }
}

/** True when a 64-byte Ed25519 signature has a canonical scalar (S < L): no malleability. */
export function hasCanonicalScalar(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return littleEndian(signature.subarray(32)) < L;
}
