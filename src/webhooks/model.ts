/**
 * Outgoing webhooks, signed per Standard Webhooks v1 (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`). An event becomes one
 * message per recipient (its id is the `webhook-id`, the same on every attempt) and one delivery
 * per subscribed endpoint. Delivery is at least once: a receiver dedupes by `webhook-id`.
 * Replays: every attempt is guarded by (generation, attempt), so a repeated outbox row sends at
 * most once more and records nothing twice. Concurrency: deliveries change state only through
 * guarded updates; an endpoint's secret rotation is one update.
 */

/** Event types a subscription may name (or `prefix.*`, or `*` for all). */
export const webhookEventTypes = [
  "message.created",
  "order.created",
  "order.updated",
  "order.deadline",
  "payment.escrowed",
  "payment.released",
  "payment.refunded",
  "dispute.opened",
  "dispute.resolved",
  "review.created",
  "listing.updated",
  "pairing.updated",
  "channel.updated",
  "x402.settled",
  "pipeline.completed",
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

export type EndpointStatus = "enabled" | "disabled";

export interface WebhookEndpoint {
  id: string;
  owner_id: string;
  url: string;
  /** Exact types, `prefix.*` or `*`. */
  event_types: string[];
  description: string;
  status: EndpointStatus;
  /** Why it was disabled (`410 Gone from the receiver`, or by its owner). */
  disabled_reason: string | null;
  /** When the previous secret stops signing (null: no rotation overlap running). */
  previous_secret_until_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** One event for one recipient: the exact bytes every attempt sends. */
export interface WebhookMessage {
  id: string;
  owner_id: string;
  type: string;
  body: string;
  created_at_ms: number;
}

/** `dead`: gave up after the last attempt (the dead letter), or the endpoint went away. */
export type DeliveryStatus = "pending" | "succeeded" | "dead";

export interface WebhookDelivery {
  id: string;
  message_id: string;
  endpoint_id: string;
  owner_id: string;
  type: string;
  status: DeliveryStatus;
  /** Bumped by every redelivery; attempts count from 1 within a generation. */
  generation: number;
  attempts: number;
  next_attempt_at_ms: number | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface WebhookAttempt {
  id: string;
  delivery_id: string;
  generation: number;
  attempt: number;
  at_ms: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** What one call to a receiver came to. */
export interface SendResult {
  status_code: number | null;
  /** The receiver's Retry-After, in ms from now, when it sent a valid one. */
  retry_after_ms: number | null;
  error: string | null;
  duration_ms: number;
}

/** Retry policy: attempts, waits between them, jitter. Defaults in webhookLimits. */
export interface RetryPolicy {
  attempts_max: number;
  schedule_ms: readonly number[];
  jitter_ratio: number;
}
