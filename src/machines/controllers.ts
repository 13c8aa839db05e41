import { createPublicClient, getAddress, http, parseAbi, type Address as ViemAddress } from "viem";
import type { Executor } from "../db/db.ts";
import { Problem } from "../kernel/problem.ts";
import { parseIdentityRef } from "./identity-ref.ts";
import { machineLimits } from "./limits.ts";
import type { Address, Resolution, ResolutionSource } from "./model.ts";
import { machineProblems } from "./problems.ts";
import * as store from "./store.ts";

/**
 * Finds who controls an identity. `resolve` answers null when the identity is not of a form this
 * resolver handles, so resolvers chain; it throws when it should know but cannot find out now
 * (an RPC failure), and the hub then fails closed.
 */
export interface ControllerResolver {
  readonly source: ResolutionSource;
  resolve(ex: Executor, identity_ref: string): Promise<Resolution | null>;
}

/** `did:pkh:eip155:<chain>:<addr>`: the account is its own controller. */
export function didPkhResolver(): ControllerResolver {
  return {
    source: "did-pkh",
    async resolve(_ex, identity_ref) {
      const parsed = parseIdentityRef(identity_ref);
      if (parsed?.kind !== "did:pkh" || parsed.address === null) return null;
      return { addresses: [parsed.address], source: "did-pkh" };
    },
  };
}

/**
 * The operator's registry (`did:peaq:…`, `peaqos:machine:<id>`, or any ref): controllers the
 * operator vouches for, e.g. copied from peaqOS MCR data. An entry overrides on-chain lookups
 * when the registry is placed first in the chain.
 */
export function registryResolver(): ControllerResolver {
  return {
    source: "registry",
    async resolve(ex, identity_ref) {
      const addresses = await store.registryControllers(ex, identity_ref);
      return addresses.length > 0 ? { addresses, source: "registry" } : null;
    },
  };
}

/** The two functions of ERC-1056 (EthereumDIDRegistry) the hub uses; ABI as upstream. */
export const erc1056Abi = parseAbi([
  "function identityOwner(address identity) view returns (address)",
  "function changeOwner(address identity, address newOwner)",
  "event DIDOwnerChanged(address indexed identity, address owner, uint256 previousChange)",
]);

export interface Erc1056Options {
  rpc_url: string;
  registry_address: Address;
  /** The chain the registry lives on; `did:ethr:0x<chain>:…` naming another chain is not ours. */
  chain_id: number;
  /** Which DID methods carry an address owned through this registry (default did:ethr only). */
  methods?: readonly ("did:ethr" | "did:peaq")[];
  timeout_ms?: number;
}

/**
 * ERC-1056 `identityOwner(address)` over JSON-RPC: the controller of `did:ethr:<addr>` (and, when
 * configured, `did:peaq:<addr>`) is whoever the registry names, the address itself by default.
 */
export function erc1056Resolver(options: Erc1056Options): ControllerResolver {
  const methods = options.methods ?? ["did:ethr"];
  const client = createPublicClient({
    transport: http(options.rpc_url, {
      timeout: options.timeout_ms ?? machineLimits.controller_rpc_timeout_ms,
      retryCount: 0,
    }),
  });
  return {
    source: "erc1056",
    async resolve(_ex, identity_ref) {
      const parsed = parseIdentityRef(identity_ref);
      if (!parsed?.address || !methods.includes(parsed.kind as "did:ethr")) return null;
      if (parsed.chain_id !== null && parsed.chain_id !== options.chain_id) return null;
      const owner = await client.readContract({
        address: options.registry_address as ViemAddress,
        abi: erc1056Abi,
        functionName: "identityOwner",
        args: [parsed.address as ViemAddress],
      });
      return { addresses: [getAddress(owner)], source: "erc1056" };
    },
  };
}

/** The controllers of an identity by the first resolver that knows it, or a Problem. */
export async function resolveControllers(
  resolvers: readonly ControllerResolver[],
  ex: Executor,
  identity_ref: string,
): Promise<Resolution> {
  for (const resolver of resolvers) {
    let found: Resolution | null;
    try {
      found = await resolver.resolve(ex, identity_ref);
    } catch (error) {
      throw new Problem(
        machineProblems.MACHINE_IDENTITY_UNAVAILABLE,
        `the ${resolver.source} lookup of ${identity_ref} failed; try again later`,
        { cause: error },
      );
    }
    if (found === null) continue;
    if (found.addresses.length > machineLimits.controller_addresses_max) {
      throw new Problem(
        machineProblems.MACHINE_IDENTITY_UNRESOLVED,
        `${identity_ref} has more than ${machineLimits.controller_addresses_max} controllers`,
      );
    }
    return found;
  }
  throw new Problem(
    machineProblems.MACHINE_IDENTITY_UNRESOLVED,
    `no controller is known for ${identity_ref}; ask the operator to register it`,
  );
}
