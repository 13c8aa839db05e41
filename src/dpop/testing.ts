/**
 * Test helpers for the DPoP suites: keys and hand-made proofs for the cases a well-behaved client
 * (the `dpop` package) never produces. Not exported from index.ts; only tests import this file.
 */
import { randomUUID } from "node:crypto";
import {
  base64url,
  CompactSign,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
} from "jose";
import { expect } from "vitest";
import type { Clock } from "../kernel/clock.ts";
import { isProblem, type Problem } from "../kernel/problem.ts";

/** The request URL most tests verify against. */
export const REQUEST_URL = "https://hub.example/api/v1/orders";

/** A 32-byte nonce secret for tests. */
export const NONCE_SECRET = "test-nonce-secret-0123456789abcdef";

/** A signing key with its public JWK and thumbprint. */
export interface TestKey {
  alg: string;
  privateKey: CryptoKey;
  /** The private JWK, for proofs that wrongly embed it. */
  privateJwk: JWK;
  publicJwk: JWK;
  jkt: string;
}

/** Generates an extractable key pair for `alg` (EdDSA, Ed25519, ES256, …). */
export async function testKey(alg: string): Promise<TestKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  return {
    alg,
    privateKey: pair.privateKey,
    privateJwk: await exportJWK(pair.privateKey),
    publicJwk,
    jkt: await calculateJwkThumbprint(publicJwk, "sha256"),
  };
}

/** Proof claims for a GET of REQUEST_URL issued at the clock's "now", with `overrides` applied. */
export function claimsAt(clock: Clock, overrides: Record<string, unknown> = {}) {
  return {
    jti: randomUUID(),
    htm: "GET",
    htu: REQUEST_URL,
    iat: Math.floor(clock.now_ms() / 1000),
    ...overrides,
  };
}

/** Signs `claims` with `key`; `header` overrides or adds protected header members. */
export async function signProof(
  key: { alg: string; privateKey: CryptoKey | Uint8Array; publicJwk: JWK },
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  return new CompactSign(payload)
    .setProtectedHeader({ alg: key.alg, typ: "dpop+jwt", jwk: key.publicJwk, ...header })
    .sign(key.privateKey);
}

/** A compact JWS with any header and an arbitrary signature, as an attacker would send. */
export function rawProof(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  signature = "",
): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(claims)}.${signature}`;
}

/** The Problem `promise` rejects with; fails the test when it resolves or throws anything else. */
export async function problemOf(promise: Promise<unknown>): Promise<Problem> {
  try {
    await promise;
  } catch (error) {
    if (isProblem(error)) return error;
    throw error;
  }
  expect.unreachable("expected a Problem");
}

/** Replaces the character at `index` with another base64url character. */
export function flipChar(text: string, index: number): string {
  const c = text.charAt(index);
  return text.slice(0, index) + (c === "A" ? "B" : "A") + text.slice(index + 1);
}
