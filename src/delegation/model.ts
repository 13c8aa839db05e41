/**
 * Agent pairings: the bond between an agent (an EVM wallet) and a machine, bounded by a
 * delegation policy that the machine's owner sets, changes and revokes at once.
 *
 * Replay: pairing and session challenges are consumed by a guarded update, so one signature
 * creates at most one pairing or one session. Tokens: an HS256 JWT names the session and the
 * policy hash it was issued under; a new session or a policy change makes older tokens stale, a
 * pause or revoke makes every token of the pairing useless at once (checked on each request).
 * Concurrency: spend counters move only through one guarded `update … where spent + amount <=
 * limit`, so concurrent purchases can never take a pairing past a limit.
 */

export type PairingStatus = "active" | "paused" | "revoked";
export const pairingStatuses: readonly PairingStatus[] = ["active", "paused", "revoked"];

/**
 * What an agent may buy. Empty allow lists allow everything not denied; deny always wins. Skill
 * entries ending in `.*` match a key prefix (`text.*` matches `text.stats`). Limits are minor
 * units of `currency`; a purchase in another asset is denied rather than converted.
 */
export interface DelegationPolicy {
  allowed_skill_keys: string[];
  denied_skill_keys: string[];
  allowed_service_ids: string[];
  denied_service_ids: string[];
  allowed_provider_keys: string[];
  denied_provider_keys: string[];
  allowed_rails: string[];
  denied_rails: string[];
  currency: string | null;
  per_transaction_limit_minor: bigint | null;
  /** Per UTC calendar day. */
  daily_limit_minor: bigint | null;
  /** Per UTC calendar month. */
  monthly_limit_minor: bigint | null;
  /** Over the pairing's whole life. */
  total_budget_minor: bigint | null;
  expires_at_ms: number | null;
}

/** One purchase (or, for search filtering, one candidate service) as the policy sees it. */
export interface Purchase {
  skill_key: string;
  service_id: string;
  provider_key: string;
  /** The rails the purchase could use; an order names exactly one. */
  rails: readonly string[];
  /** Unknown for quote-required services while searching. */
  amount_minor?: bigint;
  asset?: string;
}

export type PolicyReason =
  | "expired"
  | "skill"
  | "service"
  | "provider"
  | "rail"
  | "currency"
  | "per_transaction"
  | "daily"
  | "monthly"
  | "total";

export type PolicyDecision =
  | { allowed: true; rails: string[] }
  | {
      allowed: false;
      code: "AGENT_POLICY_DENIED" | "AGENT_SPEND_LIMIT_EXCEEDED" | "AGENT_DAILY_LIMIT_EXCEEDED";
      reason: PolicyReason;
      detail: string;
    };

/** How the agent proved it holds the wallet key. */
export interface PairingVerification {
  method: "eip191";
  signer_address: `0x${string}`;
  challenge_id: string;
  verified_at_ms: number;
  challenge_expires_at_ms: number;
}

/** The one live session of a pairing; issuing a new one supersedes the old token. */
export interface PairingSession {
  id: string;
  token_id: string;
  issued_at_ms: number;
  expires_at_ms: number;
  token_last_four: string;
}

export interface Pairing {
  id: string;
  machine_id: string;
  owner_id: string;
  status: PairingStatus;
  agent_address: `0x${string}`;
  agent_did: string;
  agent_provider: string;
  agent_role: string;
  description: string | null;
  verification: PairingVerification;
  policy: DelegationPolicy;
  policy_hash: string;
  session: PairingSession | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export type ChallengePurpose = "pairing" | "session";

export interface PairingChallenge {
  id: string;
  machine_id: string;
  purpose: ChallengePurpose;
  /** Set for session challenges: the pairing the new session is for. */
  pairing_id: string | null;
  agent_address: `0x${string}`;
  agent_did: string;
  agent_provider: string;
  agent_role: string;
  /** The principal who asked (the owner for pairings); null when the agent asked itself. */
  requester_id: string | null;
  message: string;
  expires_at_ms: number;
  consumed_at_ms: number | null;
  created_at_ms: number;
}

/** The claims of a pairing token (peaq names, camelCase on purpose: they are the wire). */
export interface PairingClaims {
  machineId: string;
  pairingId: string;
  sessionId: string;
  agentAddress: string;
  agentDid: string;
  delegationPolicyHash: string;
  iat: number;
  exp: number;
  jti: string;
}

/** An authenticated agent: its pairing as it is now and the claims it presented. */
export interface AgentSession {
  pairing: Pairing;
  claims: PairingClaims;
}

/** What one pairing spent in one asset: today, this month (UTC) and in total. */
export interface SpendSnapshot {
  pairing_id: string;
  asset: string;
  day_key: string;
  day_spent_minor: bigint;
  month_key: string;
  month_spent_minor: bigint;
  total_spent_minor: bigint;
}

/** One accepted spend, counted against every limit of the pairing. */
export interface SpendReservation {
  id: string;
  pairing_id: string;
  asset: string;
  amount_minor: bigint;
  day_key: string;
  month_key: string;
  reference: string | null;
  created_at_ms: number;
}
