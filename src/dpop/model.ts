/**
 * DPoP (RFC 9449): a client proves on every request that it holds the private key its credential
 * is bound to, by sending a short-lived signed JWT (the proof) in one `DPoP` header.
 *
 * Replay: a proof is accepted once. Its `jti` is recorded per key thumbprint in `dpop_jtis` until
 * the proof would be too old to accept anyway; a second use answers DPOP_PROOF_REPLAYED.
 * Concurrency: the record is an insert guarded by a unique key, so of two identical proofs racing
 * on any number of processes exactly one is accepted. Record jtis with the database itself, not a
 * request transaction that may roll back: a rolled-back request must still have used its proof.
 * Nonces are stateless (HMAC over a time bucket), so every process sharing the secret accepts them.
 */

import type { JWK } from "jose";

export type { JWK };

/**
 * DPoP bounds with units in their names.
 * TODO(lead): move into src/kernel/limits.ts when the module is wired in.
 */
export const dpopLimits = {
  /** A proof older than this (by its `iat`) is refused; also how long its jti is remembered. */
  dpop_proof_age_ms_max: 300_000,
  /** A proof dated this far ahead of our clock is refused (client clock skew). */
  dpop_proof_future_skew_ms_max: 60_000,
  /** Longest `jti` accepted (RFC 9449 sets none; PEAC uses 1–256). */
  dpop_jti_chars_max: 256,
  /** Longest DPoP header value read; an RSA-4096 proof is about 1.5 KB. */
  dpop_proof_chars_max: 8_192,
  /** Nonce time bucket: a nonce is valid in its bucket and the next, so 5 to 10 minutes. */
  dpop_nonce_bucket_ms: 300_000,
  /** Shortest server secret the nonce HMAC accepts. */
  dpop_nonce_secret_bytes_min: 32,
  /** Default number of expired jti rows one purge deletes. */
  dpop_purge_batch_max: 500,
} as const;

/** JWS algorithms a proof may use: asymmetric only, never `none` or HMAC (RFC 9449 §4.3). */
export const dpopAlgorithms = ["EdDSA", "Ed25519", "ES256", "ES384", "PS256", "RS256"] as const;
export type DpopAlgorithm = (typeof dpopAlgorithms)[number];

/** What a request offers for checking. */
export interface ProofInput {
  /** The raw `DPoP` header value(s): an array when the server kept repeated headers apart. */
  proof: string | readonly string[] | undefined;
  /** The request method, as received (methods are case-sensitive). */
  method: string;
  /** The absolute request URL; its query and fragment are ignored. */
  url: string;
  /** The access token presented with the proof; when given, the proof must carry its `ath`. */
  accessToken?: string | undefined;
  /** The RFC 7638 thumbprint the credential is bound to (`cnf.jkt`); checked when given. */
  expectedJkt?: string | undefined;
  /** When true the proof must carry a nonce this server issued and that is still valid. */
  requireNonce?: boolean | undefined;
}

/** A proof that passed every check and whose jti is now recorded. */
export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key, base64url. */
  jkt: string;
  /** The proof's public key, reduced to its thumbprint members. */
  jwk: JWK;
  jti: string;
  /** The proof's `iat`, in seconds since the epoch. */
  iat: number;
}

/** Which check a refused proof failed; sent as the `dpop_check` problem extension. */
export type DpopCheck =
  | "header"
  | "jws"
  | "typ"
  | "alg"
  | "jwk"
  | "signature"
  | "claims"
  | "jti"
  | "htm"
  | "htu"
  | "iat"
  | "ath"
  | "nonce"
  | "jkt";
