import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import type { Executor } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { signEdDsaJws } from "./jws.ts";
import type { IssuerKey } from "./model.ts";
import * as store from "./store.ts";

export interface KeySetOptions {
  clock: Clock;
  /** Encrypts private keys at rest (AES-256-GCM); without it they are stored as plain PKCS#8. */
  secret?: string | null;
  /** How long a retired key stays published for verification (the rotation overlap). */
  overlap_ms: number;
  /** How long this process may sign with a cached active key before re-reading the key set. */
  cache_ms?: number;
}

/** The signing key in use: its kid and the private key to sign with. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

function sealKey(pkcs8: Buffer, secret: string | null | undefined): string {
  if (!secret) return `plain:${pkcs8.toString("base64url")}`;
  const key = createHash("sha256").update(secret).digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const sealed = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `aes256gcm:${iv.toString("base64url")}:${tag.toString("base64url")}:${sealed.toString("base64url")}`;
}

function openKey(stored: string, secret: string | null | undefined): KeyObject {
  const [scheme, ...parts] = stored.split(":");
  if (scheme === "plain") {
    return createPrivateKey({
      key: Buffer.from(parts[0] ?? "", "base64url"),
      format: "der",
      type: "pkcs8",
    });
  }
  assert(scheme === "aes256gcm" && parts.length === 3, "unknown sealed key format");
  if (!secret) throw new Error("receipt keys are encrypted; set AGX_SECRET_KEY to open them");
  const [iv = "", tag = "", body = ""] = parts;
  const decipher = createDecipheriv(
    "aes-256-gcm",
    createHash("sha256").update(secret).digest(),
    Buffer.from(iv, "base64url"),
  );
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  const pkcs8 = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
  return createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
}

/**
 * The issuer's Ed25519 key set. States: `next` (published before use), `active` (signs),
 * `retired` (published until `retire_until_ms`, the overlap window), `revoked` (never trusted
 * again, listed in peac-issuer.json). A kid is never reused: kids are fresh time-ordered ids.
 */
export function createKeySet(options: KeySetOptions) {
  const { clock } = options;
  const cache_ms = options.cache_ms ?? 60_000;
  let cached: { key: SigningKey; until_ms: number } | null = null;

  async function createKey(ex: Executor, state: "next" | "active"): Promise<void> {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const kid = newId("rk", clock.now_ms());
    const jwk = publicKey.export({ format: "jwk" });
    const now_ms = clock.now_ms();
    await store.insertKey(ex, {
      kid,
      state,
      public_jwk: JSON.stringify({
        kty: "OKP",
        crv: "Ed25519",
        x: jwk.x,
        kid,
        alg: "EdDSA",
        use: "sig",
      }),
      private_key: sealKey(privateKey.export({ format: "der", type: "pkcs8" }), options.secret),
      created_at_ms: now_ms,
      activated_at_ms: state === "active" ? now_ms : null,
      retire_until_ms: null,
      revoked_at_ms: null,
      revoke_reason: null,
    });
  }

  /** Makes sure there is an active key and a published next key (first start, after rotation). */
  async function ensure(ex: Executor): Promise<void> {
    const keys = await store.allKeys(ex);
    if (!keys.some((k) => k.state === "active")) await createKey(ex, "active");
    if (!keys.some((k) => k.state === "next")) await createKey(ex, "next");
  }

  /**
   * Rotates: the published `next` key starts signing, the active key retires for the overlap
   * window, and a new `next` key is published. Guarded so two concurrent rotations cannot both win.
   */
  async function rotate(ex: Executor): Promise<{ retired: string; active: string; next: string }> {
    await ensure(ex);
    const keys = await store.allKeys(ex);
    const active = keys.find((k) => k.state === "active");
    const next = keys.find((k) => k.state === "next");
    assert(active && next, "ensure() leaves an active and a next key");
    const now_ms = clock.now_ms();
    const retired = await store.moveKey(ex, active.kid, "active", {
      state: "retired",
      retire_until_ms: now_ms + options.overlap_ms,
    });
    const promoted = await store.moveKey(ex, next.kid, "next", {
      state: "active",
      activated_at_ms: now_ms,
    });
    if (!retired || !promoted) {
      throw new Problem(kernelProblems.CONFLICT, "another rotation is in progress");
    }
    await createKey(ex, "next");
    cached = null;
    const fresh = (await store.allKeys(ex)).find((k) => k.state === "next");
    return { retired: active.kid, active: next.kid, next: fresh?.kid ?? "" };
  }

  /** Rotates when the active key has signed for `rotation_ms`; null when not due yet. */
  async function rotateIfDue(ex: Executor, rotation_ms: number) {
    const active = (await store.allKeys(ex)).find((k) => k.state === "active");
    if (active && (active.activated_at_ms ?? 0) + rotation_ms > clock.now_ms()) return null;
    try {
      return await rotate(ex);
    } catch (error) {
      // Another hub process rotated first; its result stands.
      if (error instanceof Problem) return null;
      throw error;
    }
  }

  /** Revokes a key at once (compromise): it is unpublished and listed as revoked. */
  async function revoke(ex: Executor, kid: string, reason: string): Promise<boolean> {
    const key = (await store.allKeys(ex)).find((k) => k.kid === kid);
    if (!key || key.state === "revoked") return false;
    cached = null;
    return store.moveKey(ex, kid, key.state, {
      state: "revoked",
      revoked_at_ms: clock.now_ms(),
      revoke_reason: reason,
    });
  }

  /** The key to sign with now. */
  async function signingKey(ex: Executor): Promise<SigningKey> {
    const now_ms = clock.now_ms();
    if (cached && cached.until_ms > now_ms) return cached.key;
    const active = (await store.allKeys(ex)).find((k) => k.state === "active");
    if (!active) throw new Error("no active receipt key; the hub creates one at start");
    const key = { kid: active.kid, privateKey: openKey(active.private_key, options.secret) };
    cached = { key, until_ms: now_ms + cache_ms };
    return key;
  }

  /** Signs a JSON payload as a compact JWS (EdDSA) with the active key under a given `typ`. */
  async function signCompact(ex: Executor, typ: string, payload: Record<string, unknown>) {
    const key = await signingKey(ex);
    return signEdDsaJws(
      { alg: "EdDSA", typ, kid: key.kid },
      Buffer.from(JSON.stringify(payload)),
      key.privateKey,
    );
  }

  /** Keys verifiers may trust now: next, active, and retired ones inside their overlap. */
  async function published(ex: Executor): Promise<IssuerKey[]> {
    const now_ms = clock.now_ms();
    return (await store.allKeys(ex))
      .filter(
        (k) =>
          k.state === "next" ||
          k.state === "active" ||
          (k.state === "retired" && (k.retire_until_ms ?? 0) > now_ms),
      )
      .map(({ private_key: _, ...k }) => k);
  }

  async function revoked(ex: Executor): Promise<IssuerKey[]> {
    return (await store.allKeys(ex))
      .filter((k) => k.state === "revoked")
      .map(({ private_key: _, ...k }) => k);
  }

  return { ensure, rotate, rotateIfDue, revoke, signingKey, signCompact, published, revoked };
}

export type KeySet = ReturnType<typeof createKeySet>;

/** A node KeyObject of a published Ed25519 JWK. */
export function publicKeyOf(jwk: IssuerKey["public_jwk"]): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
}
