/**
 * Who acts on the hub. A principal is a human, agent, machine, provider or the operator; it
 * authenticates with API keys (`sk_agx_…`) that are shown once and stored only as a SHA-256 hash.
 * Concurrency: handles are unique in SQL, so two registrations racing for one handle get one
 * winner and one IDENTITY_HANDLE_TAKEN.
 */

export type PrincipalKind = "human" | "agent" | "machine" | "provider" | "operator";
export const principalKinds: readonly PrincipalKind[] = [
  "human",
  "agent",
  "machine",
  "provider",
  "operator",
];

export type PrincipalStatus = "active" | "suspended";

export interface Principal {
  id: string;
  kind: PrincipalKind;
  handle: string;
  display_name: string;
  webhook_url: string | null;
  status: PrincipalStatus;
  created_at_ms: number;
}

/** Scopes are ordered: a key with `write` may also read; `admin` may do anything. */
export type Scope = "read" | "write" | "admin";
export const scopes: readonly Scope[] = ["read", "write", "admin"];

/** True when `granted` covers `needed`. */
export function scopeCovers(granted: Scope, needed: Scope): boolean {
  return scopes.indexOf(granted) >= scopes.indexOf(needed);
}

/** A stored key: never the secret, only its visible prefix. */
export interface ApiKey {
  id: string;
  principal_id: string;
  /** The first characters of the secret, to tell keys apart in lists and logs. */
  prefix: string;
  scope: Scope;
  label: string;
  created_at_ms: number;
  last_used_at_ms: number | null;
  revoked_at_ms: number | null;
  /** RFC 7638 thumbprint of the DPoP key this API key is bound to (`cnf.jkt`), if any. */
  dpop_jkt: string | null;
}

/** A key as issued: the only moment the secret exists outside its owner's hands. */
export interface IssuedKey {
  key: ApiKey;
  secret: string;
}

/** The caller of a request, once authenticated. */
export interface Caller {
  principal: Principal;
  key: ApiKey;
}
