import { getAddress, type Hex, recoverMessageAddress } from "viem";
import type { Address } from "./model.ts";

/** A 65-byte secp256k1 signature as `personal_sign` returns it. */
export const EIP191_SIGNATURE_PATTERN = "^0x[0-9a-fA-F]{130}$";

/**
 * The address whose key signed `message` with EIP-191 `personal_sign`, or null when the signature
 * does not parse or recover. Recovery always yields *some* address for a well-formed signature,
 * so callers must compare the result with the address they expect.
 */
export async function recoverPersonalSigner(
  message: string,
  signature: string,
): Promise<Address | null> {
  if (!new RegExp(EIP191_SIGNATURE_PATTERN).test(signature)) return null;
  try {
    return getAddress(await recoverMessageAddress({ message, signature: signature as Hex }));
  } catch {
    return null;
  }
}

/** True when two addresses are the same account, whatever their letter case. */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
