/**
 * Machines: devices or services that own funds, identity and reputation (peaq). A machine is
 * registered by the principal who proves, with an EIP-191 signature of the identity's controller,
 * that they control its `identity_ref`; that principal is its owner for good.
 *
 * Replay: a challenge is consumed by a guarded update (`consumed_at_ms is null and expires_at_ms >
 * now`), so a captured challenge/signature pair registers at most one machine, and only for the
 * principal the challenge was issued to. Concurrency: identity refs are unique among machines
 * that are not archived (a partial unique index), so two registrations racing for one identity get
 * one machine and one MACHINE_IDENTITY_EXISTS.
 */

/** `0x`-prefixed, EIP-55 checksummed EVM address. */
export type Address = `0x${string}`;

export type MachineStatus = "draft" | "active" | "degraded" | "blocked" | "archived";
export const machineStatuses: readonly MachineStatus[] = [
  "draft",
  "active",
  "degraded",
  "blocked",
  "archived",
];

/** Where a controller list came from. */
export type ResolutionSource = "did-pkh" | "registry" | "erc1056";

/** The controllers of an identity, as one resolver sees them now. */
export interface Resolution {
  addresses: Address[];
  source: ResolutionSource;
}

/** A signed-challenge proof of control, as stored with the machine and re-checked later. */
export interface IdentityProof {
  method: "eip191";
  identity_ref: string;
  signer_address: Address;
  challenge_id: string;
  verified_at_ms: number;
  challenge_expires_at_ms: number;
  controller_addresses: Address[];
  resolution_source: ResolutionSource;
}

/** A challenge for the controller of `identity_ref` to sign with `personal_sign`. */
export interface IdentityChallenge {
  id: string;
  identity_ref: string;
  /** The principal who asked; only they may use the signature. */
  requester_id: string;
  message: string;
  controller_addresses: Address[];
  resolution_source: ResolutionSource;
  expires_at_ms: number;
  consumed_at_ms: number | null;
  created_at_ms: number;
}

export interface Machine {
  id: string;
  owner_id: string;
  /** `did:peaq:0x…`, `peaqos:machine:<id>`, `did:pkh:eip155:<chain>:<addr>` or `did:ethr:…`. */
  identity_ref: string;
  display_name: string;
  status: MachineStatus;
  machine_type: string;
  runtime_profile: string;
  region: string;
  capabilities: string[];
  labels: Record<string, string>;
  skill_keys: string[];
  identity_proof: IdentityProof;
  created_at_ms: number;
  updated_at_ms: number;
}

/** Who looks at a machine: its owner sees and changes it; an admin key sees every machine. */
export interface Viewer {
  principal_id: string;
  admin: boolean;
}

/** A machine-side runtime agent (a process on the device); authenticates with its token. */
export interface RuntimeAgent {
  id: string;
  machine_id: string;
  status: "enrolled" | "active";
  last_seen_at_ms: number | null;
  created_at_ms: number;
}

/** How far a runtime endpoint may be reached from the hub (relaxes SSRF rules for its own URL). */
export type NetworkScope = "public" | "private";

/** A runtime endpoint is `unreachable` once its lease has passed; static ones have no lease. */
export type EndpointStatus = "active" | "unreachable";

export interface RuntimeEndpoint {
  machine_id: string;
  provider_key: string;
  url: string;
  protocol: string;
  network_scope: NetworkScope;
  capabilities: string[];
  has_auth_token: boolean;
  /** The runtime agent that last renewed it by heartbeat; null for owner-registered ones. */
  agent_id: string | null;
  lease_expires_at_ms: number | null;
  status: EndpointStatus;
  created_at_ms: number;
  updated_at_ms: number;
}

/** An endpoint as written by the owner (PUT) or a heartbeat. */
export interface EndpointInput {
  provider_key: string;
  url: string;
  protocol: string;
  network_scope: NetworkScope;
  capabilities: string[];
  /** Plaintext; encrypted before it is stored, never returned. `undefined` keeps the old one. */
  auth_token?: string | null;
}

export type KeyType = "ed25519" | "evm";

/** A principal's proven control of an outside key, shown to counterparties. */
export interface KeyBinding {
  id: string;
  principal_id: string;
  key_type: KeyType;
  /** `did:key:z6Mk…` for Ed25519, `did:pkh:eip155:<chain>:<addr>` for EVM keys. */
  did: string;
  address: Address | null;
  verified_at_ms: number;
  revoked_at_ms: number | null;
  created_at_ms: number;
}

export interface KeyBindingChallenge {
  id: string;
  principal_id: string;
  key_type: KeyType;
  did: string;
  message: string;
  expires_at_ms: number;
  consumed_at_ms: number | null;
  created_at_ms: number;
}

/** The hub acting on its own account (a runtime agent or paired agent has no principal). */
export const HUB_VIEWER: Viewer = { principal_id: "hub", admin: true };
