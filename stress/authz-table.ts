import type { Role } from "./support/roles.ts";

/**
 * The authorization matrix as data: every operation of /openapi.json names a rule, and a rule
 * says what each role must get. `allow`: past authentication and authorization (2xx, or a 4xx
 * about the request itself, never 401/403/404). `deny`: 401, 403, or 404 for an object that is
 * not the caller's (existence is not revealed). `party`: a party to the object; never 401 or 404,
 * and 403 only when the action belongs to the other party (a buyer may not `execute`).
 * A new route without an entry fails the test, so nothing is added unclassified.
 */
export type Outcome = "allow" | "deny" | "party";
export type Rule = Record<Role, Outcome>;

const all = (o: Outcome): Rule => ({
  anonymous: o,
  agentA: o,
  agentB: o,
  buyer: o,
  seller: o,
  provider: o,
  operator: o,
  revoked: o,
  expired: o,
});

/** A bad credential is refused even on a public route (fail closed), an expired token ignored. */
const PUBLIC: Rule = { ...all("allow"), revoked: "deny" };
const KEY: Rule = {
  ...all("deny"),
  buyer: "allow",
  seller: "allow",
  provider: "allow",
  operator: "allow",
};
export const RULES = {
  /** Anyone; a revoked key is refused, an unread pairing token ignored. */
  public: PUBLIC,
  /** Any valid key of the scope (every role key here is write, the operator's admin). */
  key: KEY,
  /** A key, or a paired agent's token (`write_or_agent`, `read_or_agent`). */
  key_or_agent: { ...KEY, agentA: "allow", agentB: "allow" },
  /** Anyone, but a credential sent is checked: a revoked key or an expired pairing token is refused (/mcp). */
  public_checked: { ...PUBLIC, expired: "deny" },
  /** The operator's admin key only. */
  admin: { ...all("deny"), operator: "allow" },
  /** Only agent A, on its own machine A (agent-session routes read the token themselves). */
  agent_a_session: { ...all("deny"), agentA: "allow" },
  /** The buyer's own key or webhook: not even the operator reaches them. */
  buyer_own: { ...all("deny"), buyer: "party" },
  /**
   * Machine A (the buyer's) and its pairings. The operator is a party on purpose: the admin key
   * administers machines (machines/wire.ts `admin`), e.g. to disable a compromised one.
   */
  machine_a: { ...all("deny"), buyer: "party", operator: "party" },
  /**
   * The buyer's order of the provider's service: buyer and provider are its parties, and the
   * operator (orders/wire.ts holds the `operator` role: refunds and releases).
   */
  order: { ...all("deny"), buyer: "party", provider: "party", operator: "party" },
  /** The provider's own service. */
  provider_own: { ...all("deny"), provider: "party" },
  /** The provider's own objects, also open to the operator (a service's stats). */
  provider_or_operator: { ...all("deny"), provider: "party", operator: "party" },
  /** The seller's own listing. */
  seller_own: { ...all("deny"), seller: "party" },
  /**
   * The market order (and its thread) between buyer and seller; the operator reads and speaks in
   * it to resolve disputes (market/threads.ts `operator`), but fires no buyer or seller events.
   */
  market_parties: { ...all("deny"), buyer: "party", seller: "party", operator: "party" },
  /** A review is the buyer's or the seller's alone. */
  market_review: { ...all("deny"), buyer: "party", seller: "party" },
  /** An object nobody here owns (no such id): everyone refused, nobody learns more. */
  nobody: all("deny"),
  /** Needs a console session (cookie), which none of the roles holds. */
  session_only: all("deny"),
  /** Needs a signed proof the roles do not have: refused for all, with or without a key. */
  proof_required: { ...all("deny") },
} satisfies Record<string, Rule>;
export type RuleName = keyof typeof RULES;

/** Every operation → its rule. */
export const ROUTE_RULES: Record<string, RuleName> = {
  "GET /health": "public",
  "GET /ready": "public",
  "GET /problems/{code}": "public",
  "POST /api/agents/register": "public",
  "GET /api/v1/me": "key",
  "GET /api/v1/keys": "key",
  "POST /api/v1/keys": "key",
  "DELETE /api/v1/keys/{id}": "buyer_own",
  "GET /api/v1/balances": "key",
  "GET /api/v1/transfers": "key",
  "POST /api/v1/deposits/onchain": "key",
  "POST /api/v1/admin/principals": "admin",
  "POST /api/v1/admin/deposits": "admin",
  "POST /api/v1/admin/withdrawals": "admin",
  "POST /api/v1/admin/transfers": "admin",
  "GET /api/v1/admin/ledger/verify": "admin",
  "GET /.well-known/jwks.json": "public",
  "GET /.well-known/peac-issuer.json": "public",
  "GET /.well-known/peac.txt": "public",
  "GET /peac.txt": "public",
  "GET /peac/receipts/{id}": "public",
  "GET /ai-market/receipt/{nonce}": "public",
  "POST /v1/verify": "public",
  "POST /api/v1/catalog/skills": "key",
  "GET /api/v1/catalog/skills": "public",
  "GET /api/v1/catalog/skills/{key}": "public",
  "POST /api/v1/catalog/services": "key",
  "GET /api/v1/catalog/services": "public",
  "GET /api/v1/catalog/services/{id}": "public",
  "POST /api/v1/catalog/services/{id}/retire": "provider_own",
  "POST /api/v1/market/search": "key_or_agent",
  "POST /api/v1/quotes": "key",
  "GET /.well-known/ai-market.json": "public",
  "GET /ai-market/manifest": "public",
  "GET /ai-market/mcp": "public",
  "GET /ai-market/pricing/{product}/{capability}": "public",
  "POST /ai-market/pricing/{product}/{capability}": "public",
  "POST /ai-market/discover": "public",
  "GET /discovery/resources": "public",
  "GET /.well-known/ai-plugin.json": "public",
  "POST /api/v1/market/orders": "key_or_agent",
  "GET /api/v1/market/orders": "key",
  "GET /api/v1/market/orders/{id}": "order",
  "GET /api/v1/runs": "key",
  "POST /api/v1/market/orders/{id}/payment-intent": "order",
  "POST /api/v1/market/orders/{id}/payment": "order",
  "POST /api/v1/market/orders/{id}/payment/escrow-lock": "order",
  "POST /api/v1/market/orders/{id}/payment-proof": "order",
  "POST /api/v1/market/orders/{id}/execute": "order",
  "POST /api/v1/market/orders/{id}/confirm": "order",
  "POST /api/v1/market/orders/{id}/dispute": "order",
  "POST /api/v1/market/orders/{id}/payment/release": "order",
  "POST /api/v1/market/orders/{id}/refund": "order",
  "POST /api/v1/market/orders/{id}/cancel": "order",
  "POST /capabilities/{product}/{capability}/invoke": "key_or_agent",
  "POST /ai-market/capabilities/{product}/{capability}/invoke": "key_or_agent",
  "POST /ai-market/channel/open": "key",
  "POST /ai-market/channel/close": "key",
  "GET /ai-market/channels": "key",
  "POST /mcp": "public_checked",
  "GET /mcp": "public_checked",
  "GET /.well-known/agent-card.json": "public",
  "GET /.well-known/peac.json": "public",
  "POST /ai-market/pipelines": "key",
  "GET /ai-market/jobs/{id}": "nobody",
  "GET /ai-market/jobs/{id}/events": "nobody",
  "POST /ai-market/v2/federation/announce": "public",
  "GET /ai-market/v2/federation/peers": "public",
  "POST /ai-market/v2/federation/crawl": "admin",
  "PUT /ai-market/v2/federation/peers/{peer_id}/account": "nobody",
  "GET /ai-market/v2/manifest": "public",
  "GET /ai-market/v2/search": "public",
  "POST /ai-market/v2/invoke": "key",
  "GET /ai-market/stats": "public",
  "GET /ai-market/v2/stats/live": "public",
  "GET /api/v1/console/config": "key",
  "POST /api/v1/machine-identity/challenges": "key",
  "POST /api/v1/machines": "key",
  "GET /api/v1/machines": "key",
  "GET /api/v1/machines/{id}": "machine_a",
  "PATCH /api/v1/machines/{id}": "machine_a",
  "PUT /api/v1/machines/{id}/identity-proof": "machine_a",
  "PUT /api/v1/admin/machine-controllers": "admin",
  "GET /api/v1/admin/machine-controllers": "admin",
  "POST /api/v1/machines/{id}/agents/enrollment": "machine_a",
  "POST /api/v1/machine-agents/heartbeat": "proof_required",
  "GET /api/v1/machines/{id}/runtime-endpoints": "machine_a",
  "GET /api/v1/machines/{id}/runtime-endpoints/{providerKey}": "machine_a",
  "PUT /api/v1/machines/{id}/runtime-endpoints/{providerKey}": "machine_a",
  "DELETE /api/v1/machines/{id}/runtime-endpoints/{providerKey}": "machine_a",
  "POST /api/v1/key-bindings/challenges": "key",
  "POST /api/v1/key-bindings": "key",
  "GET /api/v1/key-bindings": "key",
  "DELETE /api/v1/key-bindings/{id}": "nobody",
  "GET /api/v1/owner/machines": "key",
  "GET /api/v1/machines/{id}/outcomes": "machine_a",
  "POST /api/v1/machines/{id}/agent-pairings/challenges": "machine_a",
  "POST /api/v1/machines/{id}/agent-pairings": "machine_a",
  "GET /api/v1/machines/{id}/agent-pairings": "machine_a",
  "GET /api/v1/machines/{id}/agent-pairings/{pairingId}": "machine_a",
  "PATCH /api/v1/machines/{id}/agent-pairings/{pairingId}": "machine_a",
  "DELETE /api/v1/machines/{id}/agent-pairings/{pairingId}": "machine_a",
  "POST /api/v1/machines/{id}/agent-pairings/{pairingId}/sessions": "proof_required",
  "GET /api/v1/machines/{id}/agent-session": "agent_a_session",
  "POST /api/v1/machines/{id}/agent-session/policy-check": "agent_a_session",
  "GET /api/public/bounties": "public",
  "GET /api/public/services": "public",
  "POST /api/market/listings": "key",
  "GET /api/market/listings": "key",
  "GET /api/market/listings/{id}": "key",
  "PATCH /api/market/listings/{id}": "seller_own",
  "POST /api/market/negotiations": "key",
  "GET /api/market/orders": "key",
  "GET /api/market/orders/{id}": "market_parties",
  "PATCH /api/market/orders/{id}": "market_parties",
  "GET /api/market/threads/{id}": "market_parties",
  "GET /api/market/threads/{id}/messages": "market_parties",
  "POST /api/market/threads/{id}/messages": "market_parties",
  "POST /api/market/orders/{id}/reviews": "market_review",
  "GET /api/public/principals/{id}": "public",
  "POST /api/v1/webhooks": "key",
  "GET /api/v1/webhooks": "key",
  "GET /api/v1/webhooks/{id}": "buyer_own",
  "PATCH /api/v1/webhooks/{id}": "buyer_own",
  "DELETE /api/v1/webhooks/{id}": "buyer_own",
  "POST /api/v1/webhooks/{id}/rotate-secret": "buyer_own",
  "GET /api/v1/webhooks/{id}/deliveries": "buyer_own",
  "POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver": "nobody",
  "POST /api/v1/webhooks/{id}/redeliver": "buyer_own",
  "GET /api/v1/admin/webhooks/deliveries": "admin",
  "GET /api/v1/admin/escrow-actions": "admin",
  "GET /api/v1/admin/x402-settlements": "admin",
  // Tried with an order that has no escrow action: everyone is refused, the operator with a 404.
  "POST /api/v1/admin/escrow-actions/{orderId}/retry": "nobody",
  // Tried with an id that names no delivery: everyone is refused, the operator with a 404.
  "POST /api/v1/admin/webhooks/deliveries/{deliveryId}/redeliver": "nobody",
  "GET /api/market/threads/{id}/events": "market_parties",
  "GET /api/v1/catalog/services/{id}/stats": "provider_or_operator",
  "POST /api/v1/session/nonce": "public",
  "POST /api/v1/session": "public",
  "GET /api/v1/session": "session_only",
  "DELETE /api/v1/session": "session_only",
  "POST /api/v1/session/key": "session_only",
};
