import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = 0;
let lastRandom = new Uint8Array(10);

/**
 * A ULID-style id body: 48-bit millisecond time then 80 random bits, in Crockford base32,
 * so ids sort by creation time. Within one millisecond the random part increments, keeping order.
 */
export function ulid(now_ms: number = Date.now()): string {
  if (now_ms <= lastTime) {
    now_ms = lastTime;
    incrementInPlace(lastRandom);
  } else {
    lastTime = now_ms;
    lastRandom = new Uint8Array(randomBytes(10));
  }
  return encodeTime(now_ms) + encodeRandom(lastRandom);
}

/** A prefixed, time-ordered id such as `ord_01j…`. */
export function newId(prefix: IdPrefix, now_ms?: number): string {
  return `${prefix}_${ulid(now_ms)}`;
}

/** The id prefixes in use, so a grep finds every kind of id. */
export type IdPrefix = "acc" | "tr" | "prn" | "key" | "req" | "obx" | "evt" | (string & {});

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out = CROCKFORD.charAt(Number(bits & 31n)) + out;
    bits >>= 5n;
  }
  return out;
}

function incrementInPlace(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const next = (bytes[i] ?? 0) + 1;
    bytes[i] = next & 0xff;
    if (next <= 0xff) return;
  }
}

/** Random url-safe text of `bytes` random bytes, for secrets and nonces. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}
