import { invert } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import { isAddress } from "viem";
import { recoverDigestSigner } from "../machines/index.ts";
import { x402Limits } from "./limits.ts";
import type { AnyPaymentPayload, X402Terms } from "./model.ts";
import { chainIdOf } from "./requirements.ts";

/**
 * EIP-3009 `TransferWithAuthorization` signature checks, the same answer as viem's
 * `verifyTypedData` for EOAs at a fraction of its cost:
 *
 * - the EIP-712 digest is assembled from bytes: the type hashes are constants and each token's
 *   domain separator is hashed once, so a check hashes 224 + 66 bytes (viem re-encodes the
 *   types and the domain from strings every time);
 * - a payer seen before is checked against its public key instead of recovering it: R = u1·G +
 *   u2·Q must have x = r and the y parity of `v`, exactly the condition under which recovery
 *   gives Q back. Both products use fixed-window tables (G's built once, a payer's on its second
 *   signature), about 75 point additions where a recovery costs a square root and ~400;
 * - a payer never seen goes through agx's recovery pool (off the event loop under load).
 */

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;
const Point = secp256k1.ProjectivePoint;
const N = secp256k1.CURVE.n;
const encoder = new TextEncoder();
const keccak = (b: Uint8Array) => keccak_256(b);

const DOMAIN_TYPEHASH = keccak(
  encoder.encode(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
  ),
);
const TRANSFER_TYPEHASH = keccak(
  encoder.encode(
    "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter," +
      "uint256 validBefore,bytes32 nonce)",
  ),
);
const UINT256_MAX = (1n << 256n) - 1n;
const SIG_HEX = /^0x[0-9a-fA-F]{130}$/;
const BYTES32_HEX = /^0x[0-9a-fA-F]{64}$/;

/** Writes a 32-byte big-endian word (or a left-padded hex value) at `offset`. */
function putWord(out: Uint8Array, offset: number, value: bigint | string): void {
  const hex = typeof value === "bigint" ? value.toString(16) : value.slice(2);
  out.set(Buffer.from(hex.padStart(64, "0"), "hex"), offset);
}

const separators = new Map<string, Uint8Array>();

/** keccak256 of the token's EIP-712 domain, once per token. */
function domainSeparator(terms: Pick<X402Terms, "network" | "asset" | "eip712">): Uint8Array {
  const key = `${terms.network}|${terms.asset.toLowerCase()}|${terms.eip712.name}|${terms.eip712.version}`;
  let hit = separators.get(key);
  if (!hit) {
    const words = new Uint8Array(5 * 32);
    words.set(DOMAIN_TYPEHASH, 0);
    words.set(keccak(encoder.encode(terms.eip712.name)), 32);
    words.set(keccak(encoder.encode(terms.eip712.version)), 64);
    putWord(words, 96, BigInt(chainIdOf(terms.network)));
    putWord(words, 128, terms.asset.toLowerCase());
    hit = keccak(words);
    if (separators.size >= x402Limits.eip3009_domains_max) separators.clear();
    separators.set(key, hit);
  }
  return hit;
}

/** A uint256 as viem reads it from a decimal (or 0x) string, or null when out of range. */
function uint256(text: string | undefined): bigint | null {
  try {
    const v = BigInt(text ?? "");
    return v >= 0n && v <= UINT256_MAX ? v : null;
  } catch {
    return null;
  }
}

/** The EIP-712 digest of an authorization, or null where viem's `hashTypedData` throws. */
function digestOf(
  a: Record<string, unknown>,
  terms: Pick<X402Terms, "network" | "asset" | "eip712">,
): Uint8Array | null {
  const { from, to, nonce } = a as Record<string, string>;
  if (!isAddress(from ?? "") || !isAddress(to ?? "")) return null;
  if (!BYTES32_HEX.test(nonce ?? "")) return null;
  const value = uint256(a.value as string);
  const after = uint256(a.validAfter as string);
  const before = uint256(a.validBefore as string);
  if (value === null || after === null || before === null) return null;
  const struct = new Uint8Array(7 * 32);
  struct.set(TRANSFER_TYPEHASH, 0);
  putWord(struct, 32, (from as string).toLowerCase());
  putWord(struct, 64, (to as string).toLowerCase());
  putWord(struct, 96, value);
  putWord(struct, 128, after);
  putWord(struct, 160, before);
  putWord(struct, 192, nonce as string);
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(domainSeparator(terms), 2);
  message.set(keccak(struct), 34);
  return keccak(message);
}

const mod = (a: bigint) => {
  const r = a % N;
  return r >= 0n ? r : r + N;
};

/**
 * A fixed-window table of P: window w holds j·2^(W·w)·P for j = 1..2^(W−1), affine. Signed
 * digits then need one addition per window and no doubling at all.
 */
interface Table {
  bits: number;
  points: Point[];
}

function tableOf(p: Point, bits: number): Table {
  const windows = Math.ceil(256 / bits) + 1;
  const size = 2 ** (bits - 1);
  const points: Point[] = [];
  let base = p;
  for (let w = 0; w < windows; w++) {
    let acc = base;
    points.push(acc);
    for (let j = 1; j < size; j++) {
      acc = acc.add(base);
      points.push(acc);
    }
    base = acc.double();
  }
  return { bits, points: Point.normalizeZ(points) };
}

/**
 * k·P from P's table, not constant-time: every input here is public (signature, digest, key).
 * (@noble/curves 1.9.1's own `multiplyUnsafe` is wrong on points with cached tables.)
 */
function multiply(t: Table, k: bigint, acc: Point): Point {
  const size = 2 ** (t.bits - 1);
  const full = 2 ** t.bits;
  const mask = BigInt(full - 1);
  const shift = BigInt(t.bits);
  let n = k;
  for (let w = 0; n > 0n; w++) {
    let digit = Number(n & mask);
    n >>= shift;
    if (digit > size) {
      digit -= full;
      n += 1n;
    }
    if (digit === 0) continue;
    const item = t.points[w * size + Math.abs(digit) - 1] as Point;
    acc = acc.add(digit < 0 ? item.negate() : item);
  }
  return acc;
}

let baseTable: Table | null = null;

interface Parsed {
  r: bigint;
  s: bigint;
  bit: 0 | 1;
}

/** r, s and the recovery bit as viem reads them (v = 0, 1, 27 or 28), or null. */
function parse(signature: string): Parsed | null {
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  const bit = v === 0 || v === 27 ? 0 : v === 1 || v === 28 ? 1 : null;
  if (bit === null || r <= 0n || r >= N || s <= 0n || s >= N) return null;
  return { r, s, bit };
}

/** True when recovering (r, s, bit) over z gives the key whose table is `key`. */
function signedBy(key: Table, z: bigint, sig: Parsed): boolean {
  baseTable ??= tableOf(Point.BASE, 8);
  const sInv = invert(sig.s, N);
  const R = multiply(key, mod(sig.r * sInv), multiply(baseTable, mod(z * sInv), Point.ZERO));
  if (R.equals(Point.ZERO)) return false;
  const a = R.toAffine();
  return a.x === sig.r && Number(a.y & 1n) === sig.bit;
}

/** Payers' public keys: the point once recovered here, its table from its next use. */
const keys = new Map<string, { table: Table | null; seen: number }>();

function remember(address: string, entry: { table: Table | null; seen: number }): void {
  keys.delete(address);
  keys.set(address, entry);
  let tables = 0;
  for (const e of keys.values()) if (e.table) tables++;
  while (keys.size > x402Limits.eip3009_keys_max || tables > x402Limits.eip3009_key_tables_max) {
    const [oldest, e] = keys.entries().next().value as [string, { table: Table | null }];
    if (e.table) tables--;
    keys.delete(oldest);
  }
}

/** The public key of (z, sig), or null. */
function recoverKey(digest: Uint8Array, sig: Parsed): Point | null {
  try {
    return new secp256k1.Signature(sig.r, sig.s).addRecoveryBit(sig.bit).recoverPublicKey(digest);
  } catch {
    return null;
  }
}

function addressOf(p: Point): string {
  const raw = p.toRawBytes(false);
  return `0x${Buffer.from(keccak(raw.subarray(1)).subarray(12)).toString("hex")}`;
}

/**
 * True when an exact-scheme payload's EIP-3009 authorization is signed (65-byte ECDSA) by its
 * `from` under the terms' token domain: the same answer as viem's `verifyTypedData` for EOAs.
 * Smart-wallet signatures (ERC-1271/6492) are not judged here and answer false, for the
 * facilitator to decide. Reads nothing from the chain.
 */
export async function verifyEip3009Signature(
  payload: AnyPaymentPayload,
  terms: Pick<X402Terms, "network" | "asset" | "eip712">,
): Promise<boolean> {
  const p = payload.payload as { signature?: unknown; authorization?: Record<string, unknown> };
  const a = p.authorization;
  if (!a || typeof p.signature !== "string" || !SIG_HEX.test(p.signature)) return false;
  let digest: Uint8Array | null;
  try {
    digest = digestOf(a, terms);
  } catch {
    return false;
  }
  const sig = parse(p.signature);
  if (!digest || !sig) return false;
  const from = (a.from as string).toLowerCase();
  const known = keys.get(from);
  if (known?.table) {
    remember(from, known);
    return signedBy(known.table, mod(BigInt(`0x${Buffer.from(digest).toString("hex")}`)), sig);
  }
  if (known) {
    // Seen before: worth recovering here once to keep the key (and its table) for next time.
    const point = recoverKey(digest, sig);
    if (!point || addressOf(point) !== from) return false;
    remember(from, { table: tableOf(point, x402Limits.eip3009_key_window_bits), seen: 2 });
    return true;
  }
  const hex = `0x${Buffer.from(digest).toString("hex")}`;
  const signer = await recoverDigestSigner(hex, p.signature, [from]);
  const ok = signer !== null && signer.toLowerCase() === from;
  if (ok) remember(from, { table: null, seen: 1 });
  return ok;
}
