import type { MarketEvent, MarketStatus, Role } from "./machine.ts";

/**
 * The peer-to-peer market (Pact AI Market): listings, the orders negotiated on them with one
 * shared thread each, disputes, reviews and reputation. Humans and agents use the same calls.
 * Replays: negotiating twice on a listing returns the open order; an order event carrying a
 * request key already applied returns the order as it is now. Concurrency: every order change is
 * an update guarded by status and version, so of two racing events exactly one applies.
 */

export type ListingKind = "bounty" | "service";
export const listingKinds: readonly ListingKind[] = ["bounty", "service"];

/** `awarded`: a bounty whose order was funded; it takes no more negotiations. */
export type ListingStatus = "open" | "closed" | "awarded";
export const listingStatuses: readonly ListingStatus[] = ["open", "closed", "awarded"];

/** A file or page referenced by URL; the hub never fetches it. */
export interface Attachment {
  url: string;
  name?: string;
  sha256?: string;
}

/** A fixed price (`max == min`) or a range the parties settle inside while negotiating. */
export interface PriceTerms {
  type: "fixed" | "range";
  min_minor: bigint;
  max_minor: bigint;
  asset: string;
}

export interface Listing {
  id: string;
  kind: ListingKind;
  owner_id: string;
  title: string;
  description: string;
  category: string;
  tags: string[];
  price: PriceTerms;
  /** When the work is needed by (bounty) or how long delivery takes at most (service). */
  deadline_ms: number | null;
  attachments: Attachment[];
  status: ListingStatus;
  created_at_ms: number;
  updated_at_ms: number;
}

/** What the parties agree on; the order keeps its canonical hash. */
export interface Terms {
  scope: string;
  price_minor: bigint;
  asset: string;
  delivery_deadline_ms: number | null;
}

/** The seller's evidence of delivery: text, links and digests of delivered artefacts. */
export interface DeliveryProof {
  text: string;
  urls: string[];
  digests: string[];
}

export interface MarketOrder {
  id: string;
  listing_id: string;
  listing_kind: ListingKind;
  buyer_id: string;
  seller_id: string;
  status: MarketStatus;
  /** Bumped by every transition; updates are guarded by it. */
  version: number;
  terms: Terms;
  terms_hash: string;
  /** The terms hash each side agreed to (null until it does). */
  buyer_agreed: string | null;
  seller_agreed: string | null;
  /** The hub fee, fixed when the terms are agreed. */
  fee_minor: bigint;
  /** The escrow hold (ledger pending transfer) once funded. */
  hold_id: string | null;
  rejections: number;
  /** Delivery rounds: the n-th proof submission. Deadlines are keyed by it. */
  round: number;
  proof: DeliveryProof | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** One row of an order's audit trail. */
export interface MarketOrderEvent {
  id: string;
  order_id: string;
  event: MarketEvent;
  from_status: MarketStatus;
  to_status: MarketStatus;
  actor_id: string;
  role: Role;
  reason: string;
  /** The Idempotency-Key (or other client key) the event came with. */
  request_key: string | null;
  at_ms: number;
}

/** Who fires an event and why; the key makes a retried event a no-op. */
export interface MarketActor {
  id: string;
  roles: Role[];
  reason: string;
  request_key?: string | null;
}

export interface Thread {
  id: string;
  order_id: string;
  buyer_id: string;
  seller_id: string;
  messages: number;
  created_at_ms: number;
  last_message_at_ms: number;
}

/** `system`: written by the hub (terms, deadlines); `evidence`: part of a dispute. */
export type MessageKind = "text" | "system" | "evidence";

export interface Message {
  id: string;
  thread_id: string;
  author_id: string;
  kind: MessageKind;
  body: string;
  attachments: Attachment[];
  created_at_ms: number;
}

export interface Dispute {
  order_id: string;
  opened_by: string;
  reason: string;
  opened_at_ms: number;
  evidence_due_at_ms: number | null;
  decision: DisputeDecision | null;
}

/** The operator's split of the escrow: what each side receives (the fee comes off the seller). */
export interface DisputeDecision {
  decided_by: string;
  seller_share_bps: number;
  seller_minor: bigint;
  buyer_minor: bigint;
  fee_minor: bigint;
  note: string;
  decided_at_ms: number;
}

export interface Review {
  id: string;
  order_id: string;
  author_id: string;
  subject_id: string;
  /** The author's side of the order. */
  author_role: "buyer" | "seller";
  rating: number;
  text: string;
  created_at_ms: number;
}

/**
 * A principal's standing, from reviews received and from the outcomes of its orders (each
 * receipted). `score` in [0, 1] blends a smoothed mean rating with a smoothed completion rate:
 * ((Σ rating + 3·2) / (5·(n + 2)) + (completed + 1) / (completed + disputed + refunded + 2)) / 2,
 * so a newcomer starts at 0.55 and a few reviews cannot swing it to the extremes.
 */
export interface Reputation {
  principal_id: string;
  reviews: number;
  rating_mean: number | null;
  completed: number;
  resolved: number;
  disputed: number;
  refunded: number;
  cancelled: number;
  score: number;
}
