import { getAddress, isAddress } from "viem";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import type { Address } from "./model.ts";

/** The identity reference forms a machine may be registered under. */
export type IdentityRefKind = "did:peaq" | "peaqos:machine" | "did:pkh" | "did:ethr";

/** A parsed identity reference; `address` is set for the forms that embed one. */
export interface ParsedIdentityRef {
  kind: IdentityRefKind;
  /** The normal form: embedded addresses EIP-55 checksummed. */
  ref: string;
  address: Address | null;
  /** EIP-155 chain id, when the form carries one (did:pkh, did:ethr with a hex network). */
  chain_id: number | null;
}

const HEX_ADDRESS = "0x[0-9a-fA-F]{40}";
const PEAQ = new RegExp(`^did:peaq:(${HEX_ADDRESS})$`);
const PEAQOS = /^peaqos:machine:([A-Za-z0-9_-]{1,64})$/;
const PKH = new RegExp(`^did:pkh:eip155:([1-9][0-9]{0,18}):(${HEX_ADDRESS})$`);
const ETHR = new RegExp(
  `^did:ethr:(?:(0x[0-9a-fA-F]{1,16}|[a-z][a-z0-9-]{0,31}):)?(${HEX_ADDRESS})$`,
);

/** The pattern the HTTP layer checks identityRef against before it reaches this module. */
export const IDENTITY_REF_PATTERN =
  "^(did:peaq:0x[0-9a-fA-F]{40}|peaqos:machine:[A-Za-z0-9_-]{1,64}" +
  "|did:pkh:eip155:[1-9][0-9]{0,18}:0x[0-9a-fA-F]{40}" +
  "|did:ethr:((0x[0-9a-fA-F]{1,16}|[a-z][a-z0-9-]{0,31}):)?0x[0-9a-fA-F]{40})$";

/** Parses and normalises an identity reference; null when it is none of the accepted forms. */
export function parseIdentityRef(text: string): ParsedIdentityRef | null {
  let m = PEAQ.exec(text);
  if (m?.[1]) {
    const address = checksummed(m[1]);
    return { kind: "did:peaq", ref: `did:peaq:${address}`, address, chain_id: null };
  }
  m = PEAQOS.exec(text);
  if (m) return { kind: "peaqos:machine", ref: text, address: null, chain_id: null };
  m = PKH.exec(text);
  if (m?.[1] && m[2]) {
    const address = checksummed(m[2]);
    const chain_id = Number(m[1]);
    if (!Number.isSafeInteger(chain_id)) return null;
    return { kind: "did:pkh", ref: `did:pkh:eip155:${chain_id}:${address}`, address, chain_id };
  }
  m = ETHR.exec(text);
  if (m?.[2]) {
    const address = checksummed(m[2]);
    const network = m[1];
    const chain_id = network?.startsWith("0x") ? Number.parseInt(network, 16) : null;
    const ref = network ? `did:ethr:${network}:${address}` : `did:ethr:${address}`;
    return { kind: "did:ethr", ref, address, chain_id };
  }
  return null;
}

/** The did:pkh of an EVM address on a chain (CAIP-10 account id inside a DID). */
export function didPkhOf(address: Address, chain_id: number): string {
  return `did:pkh:eip155:${chain_id}:${getAddress(address)}`;
}

/** The EIP-55 form of an address in any letter case; throws on anything else. */
export function checksummed(text: string): Address {
  if (!isAddress(text, { strict: false })) throw new TypeError(`${text} is not an address`);
  return getAddress(text);
}

/** The normal form of an identity reference, or a validation problem naming `/identityRef`. */
export function normalIdentityRef(text: string): string {
  const parsed = parseIdentityRef(text);
  if (!parsed) {
    throw new Problem(kernelProblems.VALIDATION_FAILED, `${text} is not a supported identityRef`, {
      errors: [{ pointer: "/identityRef", detail: "not a supported identity reference" }],
    });
  }
  return parsed.ref;
}
