import { Type } from "@sinclair/typebox";
import { isoOf } from "../../../kernel/clock.ts";
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from "../../../webhooks/index.ts";

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

export const EndpointId = Type.Object({ id: Type.String({ pattern: "^whe_[0-9a-z]{26}$" }) });

export const EndpointWire = Type.Object({
  id: Type.String(),
  url: Type.String(),
  event_types: Type.Array(Type.String()),
  description: Type.String(),
  status: Type.String(),
  disabled_reason: Nullable(Type.String()),
  previous_secret_until: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const endpointWire = (e: WebhookEndpoint) => ({
  id: e.id,
  url: e.url,
  event_types: e.event_types,
  description: e.description,
  status: e.status,
  disabled_reason: e.disabled_reason,
  previous_secret_until:
    e.previous_secret_until_ms === null ? null : isoOf(e.previous_secret_until_ms),
  created_at: isoOf(e.created_at_ms),
  updated_at: isoOf(e.updated_at_ms),
});

const AttemptWire = Type.Object({
  attempt: Type.Integer(),
  generation: Type.Integer(),
  at: Type.String(),
  status_code: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  duration_ms: Type.Integer(),
});

export const DeliveryWire = Type.Object({
  id: Type.String(),
  message_id: Type.String({ description: "The webhook-id header: the same on every attempt" }),
  endpoint_id: Type.String(),
  type: Type.String(),
  status: Type.String(),
  generation: Type.Integer(),
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Type.String()),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  delivered_at: Nullable(Type.String()),
  created_at: Type.String(),
  attempts_list: Type.Optional(Type.Array(AttemptWire)),
});

const attemptWire = (a: WebhookAttempt) => ({
  attempt: a.attempt,
  generation: a.generation,
  at: isoOf(a.at_ms),
  status_code: a.status_code,
  error: a.error,
  duration_ms: a.duration_ms,
});

export const deliveryWire = (d: WebhookDelivery & { attempts_list?: WebhookAttempt[] }) => ({
  id: d.id,
  message_id: d.message_id,
  endpoint_id: d.endpoint_id,
  type: d.type,
  status: d.status,
  generation: d.generation,
  attempts: d.attempts,
  next_attempt_at: d.next_attempt_at_ms === null ? null : isoOf(d.next_attempt_at_ms),
  last_status_code: d.last_status_code,
  last_error: d.last_error,
  delivered_at: d.delivered_at_ms === null ? null : isoOf(d.delivered_at_ms),
  created_at: isoOf(d.created_at_ms),
  ...(d.attempts_list ? { attempts_list: d.attempts_list.map(attemptWire) } : {}),
});
