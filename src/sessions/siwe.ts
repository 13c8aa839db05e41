import { type Address, getAddress, type Hex, isAddress, recoverMessageAddress } from "viem";
import { createSiweMessage, parseSiweMessage, type SiweMessage } from "viem/siwe";
import { Problem } from "../kernel/problem.ts";
import type { SignInNonce } from "./model.ts";
import { sessionProblems } from "./problems.ts";

/** The EIP-4361 message a wallet signs for one nonce (what the console shows and signs). */
export function siweMessageOf(nonce: SignInNonce, address: string): string {
  return createSiweMessage({
    address: getAddress(address),
    chainId: nonce.chain_id,
    domain: nonce.domain,
    nonce: nonce.nonce,
    uri: nonce.uri,
    version: "1",
    statement: nonce.statement,
    issuedAt: new Date(nonce.issued_at_ms),
    expirationTime: new Date(nonce.expires_at_ms),
  });
}

/** The fields of a presented message; refuses anything but a complete EIP-4361 message. */
export function parseSignIn(message: string): SiweMessage & { address: Address; nonce: string } {
  const parsed = parseSiweMessage(message);
  const missing = (["address", "domain", "uri", "nonce", "chainId", "version"] as const).filter(
    (k) => parsed[k] === undefined,
  );
  if (missing.length > 0 || !isAddress(parsed.address ?? "", { strict: false })) {
    throw new Problem(sessionProblems.SIWE_MESSAGE_INVALID, "not an EIP-4361 message", {
      errors: [{ pointer: "/message", detail: `lacks ${missing.join(", ") || "a valid address"}` }],
    });
  }
  return parsed as SiweMessage & { address: Address; nonce: string };
}

/**
 * Checks a presented message against the nonce it names (domain, URI, chain, times) and its
 * signature against its address (EOA personal_sign; contract wallets need an RPC and are not
 * taken). Answers the checksummed signer.
 */
export async function verifySignIn(
  message: string,
  parsed: SiweMessage & { address: Address },
  nonce: SignInNonce,
  signature: string,
  now_ms: number,
): Promise<Address> {
  const wrong = (field: string, detail: string) =>
    new Problem(sessionProblems.SIWE_MESSAGE_INVALID, `the message's ${field} ${detail}`, {
      errors: [{ pointer: "/message", detail: `${field} ${detail}` }],
    });
  if (parsed.domain !== nonce.domain) throw wrong("domain", `must be ${nonce.domain}`);
  if (parsed.uri !== nonce.uri) throw wrong("URI", `must be ${nonce.uri}`);
  if (parsed.chainId !== nonce.chain_id) throw wrong("chain id", `must be ${nonce.chain_id}`);
  if (parsed.version !== "1") throw wrong("version", "must be 1");
  if (parsed.expirationTime && parsed.expirationTime.getTime() <= now_ms) {
    throw wrong("expiration time", "has passed");
  }
  if (parsed.notBefore && parsed.notBefore.getTime() > now_ms) {
    throw wrong("not-before time", "is still ahead");
  }
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new Problem(sessionProblems.SIWE_SIGNATURE_INVALID, "the signature is not 65 bytes hex");
  }
  let signer: Address;
  try {
    signer = await recoverMessageAddress({ message, signature: signature as Hex });
  } catch (cause) {
    throw new Problem(sessionProblems.SIWE_SIGNATURE_INVALID, "the signature does not recover", {
      cause,
    });
  }
  if (getAddress(signer) !== getAddress(parsed.address)) {
    throw new Problem(
      sessionProblems.SIWE_SIGNATURE_INVALID,
      `the message was not signed by ${getAddress(parsed.address)}`,
    );
  }
  return getAddress(signer);
}
