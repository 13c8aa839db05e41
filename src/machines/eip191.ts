import { getAddress } from "viem";
import { sharedEip191Pool } from "./eip191-pool.ts";
import type { Address } from "./model.ts";

/** A 65-byte secp256k1 signature as `personal_sign` returns it. */
export const EIP191_SIGNATURE_PATTERN = "^0x[0-9a-fA-F]{130}$";

/**
 * The address whose key signed `message` with EIP-191 `personal_sign`, or null when the signature
 * does not parse or recover: the same answer as viem's `recoverMessageAddress`. Recovery always
 * yields *some* address for a well-formed signature, so callers must compare the result with the
 * address they expect. `likely` (the addresses the caller expects) only makes the check cheaper:
 * a signer seen before is checked against its cached key instead of recovered. The work runs on
 * the shared pool (inline at low rates, on worker threads under load).
 */
export async function recoverPersonalSigner(
  message: string,
  signature: string,
  likely: readonly string[] = [],
): Promise<Address | null> {
  const job = { message, signature, likely: likely.map((a) => a.toLowerCase()) };
  const signer = await sharedEip191Pool().signer(job);
  return signer === null ? null : getAddress(signer);
}

/**
 * The address whose key signed the 32-byte `digest` (an EIP-712 hash), or null: the answer of
 * viem's `recoverAddress`, through the same pool and key cache as `recoverPersonalSigner`.
 */
export async function recoverDigestSigner(
  digest: string,
  signature: string,
  likely: readonly string[] = [],
): Promise<Address | null> {
  const job = { digest, signature, likely: likely.map((a) => a.toLowerCase()) };
  const signer = await sharedEip191Pool().signer(job);
  return signer === null ? null : getAddress(signer);
}

/** True when two addresses are the same account, whatever their letter case. */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
