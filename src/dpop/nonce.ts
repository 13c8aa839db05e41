import { createHmac, timingSafeEqual } from "node:crypto";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { dpopLimits } from "./model.ts";

/** Issues and checks server nonces (RFC 9449 §8). */
export interface DpopNonces {
  /** A nonce for the `DPoP-Nonce` header, valid for one to two buckets from now. */
  issue(): string;
  /** True when `nonce` was issued by a process holding the same secret, this bucket or the last. */
  isCurrent(nonce: unknown): boolean;
}

/**
 * Stateless nonces: HMAC-SHA256(secret, time bucket). Nothing is stored, so any number of
 * processes that share the secret issue and accept the same nonces; rotating the secret
 * invalidates every outstanding nonce, which costs clients one retry.
 */
export function createNonces(
  clock: Clock,
  secret: string,
  bucket_ms: number = dpopLimits.dpop_nonce_bucket_ms,
): DpopNonces {
  const key = Buffer.from(secret, "utf8");
  assert(
    key.length >= dpopLimits.dpop_nonce_secret_bytes_min,
    `the DPoP nonce secret needs at least ${dpopLimits.dpop_nonce_secret_bytes_min} bytes`,
  );
  assert(Number.isInteger(bucket_ms) && bucket_ms > 0, "the nonce bucket must be positive ms");

  const nonceOf = (bucket: number): string =>
    createHmac("sha256", key).update(`agx-dpop-nonce/1:${bucket}`, "utf8").digest("base64url");
  const bucketNow = (): number => Math.floor(clock.now_ms() / bucket_ms);

  return {
    issue: () => nonceOf(bucketNow()),
    isCurrent(nonce) {
      if (typeof nonce !== "string") return false;
      const given = Buffer.from(nonce, "utf8");
      const bucket = bucketNow();
      // Checks both buckets every time so the timing does not tell which one matched.
      let ok = false;
      for (const candidate of [bucket, bucket - 1]) {
        const expected = Buffer.from(nonceOf(candidate), "utf8");
        if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
      }
      return ok;
    },
  };
}
