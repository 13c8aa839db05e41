import { getAddress, hashTypedData, isAddress } from "viem";
import { recoverDigestSigner } from "../machines/index.ts";
import type { AnyPaymentPayload, Hex, X402Terms } from "./model.ts";
import { chainIdOf } from "./requirements.ts";

const TYPES = {
  TransferWithAuthorization: [
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "validAfter", type: "uint256" },
    { name: "validBefore", type: "uint256" },
    { name: "nonce", type: "bytes32" },
  ],
} as const;

/**
 * True when an exact-scheme payload's EIP-3009 authorization is signed (65-byte ECDSA) by its
 * `from` under the terms' token domain. The same answer as viem's `verifyTypedData` for EOAs,
 * through agx's recovery pool (cached key per payer, off the event loop under load); smart-wallet
 * signatures (ERC-1271/6492) are not judged here and answer false, for the facilitator to decide.
 * Reads nothing from the chain.
 */
export async function verifyEip3009Signature(
  payload: AnyPaymentPayload,
  terms: Pick<X402Terms, "network" | "asset" | "eip712">,
): Promise<boolean> {
  const p = payload.payload as {
    signature?: unknown;
    authorization?: Record<string, unknown>;
  };
  const a = p.authorization;
  if (!a || typeof p.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(p.signature)) {
    return false;
  }
  const { from, to, value, validAfter, validBefore, nonce } = a as Record<string, string>;
  if (!isAddress(from ?? "") || !isAddress(to ?? "")) return false;
  let digest: Hex;
  try {
    digest = hashTypedData({
      domain: {
        name: terms.eip712.name,
        version: terms.eip712.version,
        chainId: chainIdOf(terms.network),
        verifyingContract: getAddress(terms.asset),
      },
      types: TYPES,
      primaryType: "TransferWithAuthorization",
      message: {
        from: from as Hex,
        to: to as Hex,
        value: BigInt(value ?? ""),
        validAfter: BigInt(validAfter ?? ""),
        validBefore: BigInt(validBefore ?? ""),
        nonce: nonce as Hex,
      },
    });
  } catch {
    return false;
  }
  const signer = await recoverDigestSigner(digest, p.signature, [from as string]);
  return signer !== null && signer.toLowerCase() === (from as string).toLowerCase();
}
