import { randomBytes, randomFillSync } from "node:crypto";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

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
    lastRandom = randomTen();
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

/** Random bytes drawn ahead in one call: a call to the CSPRNG per id costs more than the id. */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function randomTen(): Uint8Array {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += 10;
  return pool.slice(poolAt - 10, poolAt);
}

/** 80 bits as 16 Crockford characters, most significant first: two 40-bit halves (exact). */
function encodeRandom(bytes: Uint8Array): string {
  let out = "";
  for (const half of [0, 5]) {
    let bits = 0;
    for (let i = half; i < half + 5; i++) bits = bits * 256 + (bytes[i] ?? 0);
    let chars = "";
    for (let i = 0; i < 8; i++) {
      chars = CROCKFORD.charAt(bits % 32) + chars;
      bits = Math.floor(bits / 32);
    }
    out += chars;
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
