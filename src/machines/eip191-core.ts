/**
 * EIP-191 `personal_sign` (and EIP-712 digest) signer recovery on @noble/curves (the secp256k1 code viem itself runs),
 * free of agx imports so a worker thread can load it alone. Besides plain recovery it keeps the
 * public keys of recent signers: a signature checked against a key it already knows costs one
 * fixed-base and one cached-table multiplication instead of a recovery (about 2× less CPU).
 * The answer is always the one viem's `recoverMessageAddress` gives, including for a wrong `v`.
 */
import { invert } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;

const Point = secp256k1.ProjectivePoint;
const N = secp256k1.CURVE.n;
/** Window of a cached key's table: 6 bits ≈ 1.4k points (~350 kB), built in ~10 ms, once. */
const CACHED_KEY_WINDOW_BITS = 6;

/**
 * One signature to check: an EIP-191 `message` (or an already computed 32-byte `digest`, e.g. an
 * EIP-712 hash), its 65-byte signature, the addresses it likely is by.
 */
export interface SignerJob {
  message?: string;
  /** 0x + 64 hex; used instead of `message` when set. */
  digest?: string;
  signature: string;
  /** Lower-case addresses the caller expects; a hint for the key cache, never a filter. */
  likely: readonly string[];
}

/** Recently seen signers' public keys, most recently used last. */
export interface KeyCache {
  keys: Map<string, { point: Point; uses: number }>;
  max: number;
}

/** An empty key cache holding at most `max` keys. */
export function createKeyCache(max: number): KeyCache {
  if (!(Number.isInteger(max) && max >= 0)) throw new Error(`key cache max ${max}`);
  return { keys: new Map(), max };
}

const SIG_HEX = /^0x[0-9a-fA-F]{130}$/;
const encoder = new TextEncoder();

function personalHash(message: string): bigint {
  const body = encoder.encode(message);
  const prefix = encoder.encode(`\x19Ethereum Signed Message:\n${body.length}`);
  const all = new Uint8Array(prefix.length + body.length);
  all.set(prefix);
  all.set(body, prefix.length);
  return bytesToBig(keccak_256(all));
}

const DIGEST_HEX = /^0x[0-9a-fA-F]{64}$/;

function hashOf(job: SignerJob): bigint | null {
  if (job.digest === undefined) return personalHash(job.message ?? "");
  return DIGEST_HEX.test(job.digest) ? BigInt(job.digest) : null;
}

function bytesToBig(b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}`);
}

function addressOf(p: Point): string {
  const raw = p.toRawBytes(false);
  return `0x${Buffer.from(keccak_256(raw.subarray(1)).subarray(12)).toString("hex")}`;
}

const mod = (a: bigint) => {
  const r = a % N;
  return r >= 0n ? r : r + N;
};

interface Parsed {
  r: bigint;
  s: bigint;
  /** The recovery bit: the parity of R's y (viem accepts v = 0, 1, 27 or 28). */
  bit: 0 | 1;
}

function parse(signature: string): Parsed | null {
  if (!SIG_HEX.test(signature)) return null;
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  const bit = v === 0 || v === 27 ? 0 : v === 1 || v === 28 ? 1 : null;
  if (bit === null || r <= 0n || r >= N || s <= 0n || s >= N) return null;
  return { r, s, bit };
}

/**
 * True when `key` signed hash `z` with (r, s) *and* recovery with `bit` yields `key`: the point
 * R = z/s·G + r/s·Q must have x = r exactly (no overflow: viem uses recovery bits 0/1 only) and
 * the y parity `bit`.
 */
function checkWithKey(key: Point, z: bigint, sig: Parsed): boolean {
  const sInv = invert(sig.s, N);
  // multiply, not multiplyUnsafe: @noble/curves 1.9.1's unsafe path is wrong on cached tables.
  const R = Point.BASE.multiply(mod(z * sInv)).add(key.multiply(mod(sig.r * sInv)));
  if (R.equals(Point.ZERO)) return false;
  const a = R.toAffine();
  return a.x === sig.r && Number(a.y & 1n) === sig.bit;
}

function recover(z: bigint, sig: Parsed): Point | null {
  try {
    const s = new secp256k1.Signature(sig.r, sig.s).addRecoveryBit(sig.bit);
    const zBytes = Buffer.from(z.toString(16).padStart(64, "0"), "hex");
    return s.recoverPublicKey(zBytes);
  } catch {
    return null;
  }
}

function remember(cache: KeyCache, address: string, point: Point): void {
  if (cache.max === 0) return;
  cache.keys.delete(address);
  cache.keys.set(address, { point, uses: 1 });
  while (cache.keys.size > cache.max) {
    const oldest = cache.keys.keys().next().value as string;
    cache.keys.delete(oldest);
  }
}

/** A cached key by its second use gets a window table (paid once); the first use is a recovery. */
function cachedKey(cache: KeyCache, address: string): Point | null {
  const hit = cache.keys.get(address);
  if (!hit) return null;
  cache.keys.delete(address);
  cache.keys.set(address, hit);
  hit.uses++;
  if (hit.uses === 2) {
    const tabled = Point.fromAffine(hit.point.toAffine());
    tabled._setWindowSize(CACHED_KEY_WINDOW_BITS);
    hit.point = tabled;
  }
  return hit.point;
}

/**
 * The lower-case address whose key signed `job.message` with `personal_sign` (or `job.digest`),
 * or null when the signature does not parse or recover.
 */
export function signerOf(job: SignerJob, cache: KeyCache): string | null {
  const sig = parse(job.signature);
  if (!sig) return null;
  const hash = hashOf(job);
  if (hash === null) return null;
  const z = mod(hash);
  for (const address of job.likely) {
    const key = cachedKey(cache, address);
    if (key && checkWithKey(key, z, sig)) return address;
  }
  const point = recover(z, sig);
  if (!point) return null;
  const address = addressOf(point);
  remember(cache, address, point);
  return address;
}
