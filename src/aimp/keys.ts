import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { assert } from "../kernel/assert.ts";

/** Thrown when a public key is not a usable raw Ed25519 key. */
export class AimpKeyError extends Error {
  override name = "AimpKeyError";
}

/** An Ed25519 key pair with the public half in the AIMP wire form. */
export interface AimpKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Raw 32-byte public key, standard padded base64 (`signer_public_key`, `public_key`). */
  public_key_b64: string;
}

const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SEED_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
// RFC 8410 PKCS#8 wrapper for a raw Ed25519 seed.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** Field prime of Curve25519, 2^255 - 19: a y coordinate at or above it is non-canonical. */
const P = 2n ** 255n - 19n;
/**
 * y coordinates (sign bit cleared, hex little-endian) of the points of small order:
 * 0 and p-1 (order 4 and 2), 1 (identity) and the two order-8 values. OpenSSL accepts such
 * keys, and with one of them a single forged signature verifies for many messages (with the
 * identity, R = identity and S = 0 verifies for every message).
 */
const SMALL_ORDER_Y = new Set([
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
]);

/** A fresh Ed25519 key pair. */
export function generateAimpKeyPair(): AimpKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey, public_key_b64: publicKeyToBase64(publicKey) };
}

/** The Ed25519 private key for a 32-byte RFC 8032 seed (how hubs keep signing keys). */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  assert(seed.length === ED25519_SEED_BYTES, "an Ed25519 seed is 32 bytes");
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

/** The KeyObject for a base64 raw public key; throws AimpKeyError if malformed or weak. */
export function publicKeyFromBase64(b64: string): KeyObject {
  const raw = decodeBase64Strict(b64, ED25519_PUBLIC_KEY_BYTES);
  if (raw === null) throw new AimpKeyError("public key is not 32 bytes of padded base64");
  if (isWeakPublicKey(raw)) throw new AimpKeyError("public key is non-canonical or small-order");
  const x = raw.toString("base64url");
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  } catch (error) {
    throw new AimpKeyError("public key is not an Ed25519 point", { cause: error });
  }
}

/** The base64 raw form of an Ed25519 public key (a private key yields its public half). */
export function publicKeyToBase64(key: KeyObject): string {
  assert(key.asymmetricKeyType === "ed25519", "an AIMP key must be Ed25519");
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: "jwk" });
  assert(typeof jwk.x === "string", "an Ed25519 JWK has x");
  return Buffer.from(jwk.x, "base64url").toString("base64");
}

/** Ed25519 over the UTF-8 of a canonical string, base64 (spec §7.3.1). */
export function signCanonical(canonical: string, privateKey: KeyObject): string {
  assert(
    privateKey.type === "private" && privateKey.asymmetricKeyType === "ed25519",
    "AIMP signing needs an Ed25519 private key",
  );
  // Ed25519 takes no digest argument: null is the only correct algorithm here.
  return sign(null, Buffer.from(canonical, "utf8"), privateKey).toString("base64");
}

/** True when a 64-byte signature verifies over the UTF-8 of the canonical string. */
export function verifyCanonical(
  canonical: string,
  signature: Buffer,
  publicKey: KeyObject,
): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  return verify(null, Buffer.from(canonical, "utf8"), publicKey, signature);
}

/**
 * Resolves the verifier's key: a KeyObject must be a strong Ed25519 public key, a string the
 * base64 raw form. Null when unusable, so verification can report rather than throw.
 */
export function resolvePublicKey(key: KeyObject | string): KeyObject | null {
  try {
    if (typeof key === "string") return publicKeyFromBase64(key);
    if (key.type !== "public" || key.asymmetricKeyType !== "ed25519") return null;
    return publicKeyFromBase64(publicKeyToBase64(key));
  } catch {
    return null;
  }
}

/**
 * Decodes standard padded base64 of an exact length, refusing anything Buffer.from would
 * silently repair (stray characters, missing padding), so one signature has one spelling.
 */
export function decodeBase64Strict(b64: string, bytes: number): Buffer | null {
  const decoded = Buffer.from(b64, "base64");
  if (decoded.length !== bytes || decoded.toString("base64") !== b64) return null;
  return decoded;
}

function isWeakPublicKey(raw: Buffer): boolean {
  const y = Buffer.from(raw);
  y[31] = (y[31] ?? 0) & 0x7f;
  if (SMALL_ORDER_Y.has(y.toString("hex"))) return true;
  return BigInt(`0x${Buffer.from(y).reverse().toString("hex")}`) >= P;
}
