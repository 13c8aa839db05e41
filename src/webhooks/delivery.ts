import type { Executor } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import { type Clock, isoOf } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { stringifyWithBigints } from "../kernel/json.ts";
import { isProblem } from "../kernel/problem.ts";
import { guardedFetch } from "../net/index.ts";
import * as deliveries from "./deliveries-store.ts";
import { webhookLimits } from "./limits.ts";
import type { RetryPolicy, SendResult, WebhookDelivery, WebhookMessage } from "./model.ts";
import { signedHeaders } from "./signing.ts";
import * as store from "./store.ts";
import { matches, type Subscriptions } from "./subscriptions.ts";

export interface DeliveryDeps {
  clock: Clock;
  /** Receivers compare `webhook-timestamp` with their own clock, so it is always wall time. */
  wall_clock: Clock;
  subscriptions: Subscriptions;
  retry: RetryPolicy;
  outbound: {
    allowHosts: readonly string[];
    allowPrivate: boolean;
    timeout_ms: number;
    response_bytes_max: number;
  };
}

/** What to do after an attempt. */
export type Step =
  | { status: "succeeded" }
  | { status: "dead"; disable: boolean }
  | { status: "pending"; retry_in_ms: number };

/**
 * The retry policy as a function: 2xx succeeds; 410 Gone disables the endpoint; the last attempt
 * dead-letters; otherwise wait the schedule's delay (±jitter), or longer if the receiver's
 * Retry-After asks for it.
 */
export function nextStep(
  policy: RetryPolicy,
  attempt: number,
  result: SendResult,
  random: () => number = Math.random,
): Step {
  const code = result.status_code;
  if (code !== null && code >= 200 && code < 300) return { status: "succeeded" };
  if (code === 410) return { status: "dead", disable: true };
  if (attempt >= policy.attempts_max) return { status: "dead", disable: false };
  const table = policy.schedule_ms;
  const base = table[Math.min(attempt, table.length) - 1] ?? 60_000;
  const jittered = Math.round(base * (1 + (random() * 2 - 1) * policy.jitter_ratio));
  return { status: "pending", retry_in_ms: Math.max(jittered, result.retry_after_ms ?? 0) };
}

/** Retry-After as seconds or an HTTP date, in ms from `now_ms`, bounded; null when absent. */
export function retryAfterMs(value: string | undefined, now_ms: number): number | null {
  if (value === undefined) return null;
  const seconds = /^\s*(\d{1,9})\s*$/.exec(value)?.[1];
  const ms = seconds !== undefined ? Number(seconds) * 1000 : Date.parse(value) - now_ms;
  if (!Number.isFinite(ms) || ms < 0) return null;
  return Math.min(ms, webhookLimits.retry_after_max_ms);
}

/** One delivery's attempt, ready to send. */
export interface Job {
  delivery: WebhookDelivery;
  endpoint: store.EndpointRow;
  message: WebhookMessage;
}

/** Events into messages and deliveries; attempts out through the SSRF-guarded fetch. */
export function createDelivery(deps: DeliveryDeps) {
  const { clock } = deps;

  /**
   * Writes one message per recipient with a subscribed endpoint and one delivery per endpoint,
   * in the caller's transaction; returns the deliveries to schedule.
   */
  async function record(
    tx: Executor,
    spec: { to: readonly string[]; type: string; data: Record<string, unknown> },
  ): Promise<WebhookDelivery[]> {
    const endpoints = (await store.enabledEndpointsOf(tx, [...new Set(spec.to)])).filter((e) =>
      matches(e.event_types, spec.type),
    );
    const now_ms = clock.now_ms();
    const body = stringifyWithBigints({
      type: spec.type,
      timestamp: isoOf(now_ms),
      data: spec.data,
    });
    assert(Buffer.byteLength(body) <= webhookLimits.payload_bytes_max, "webhook event too large");
    const out: WebhookDelivery[] = [];
    const messages = new Map<string, string>();
    for (const endpoint of endpoints) {
      let message_id = messages.get(endpoint.owner_id);
      if (message_id === undefined) {
        message_id = newId("whm", now_ms);
        messages.set(endpoint.owner_id, message_id);
        await store.insertMessage(tx, {
          id: message_id,
          owner_id: endpoint.owner_id,
          type: spec.type,
          body,
          created_at_ms: now_ms,
        });
      }
      const delivery: WebhookDelivery = {
        id: newId("whd", now_ms),
        message_id,
        endpoint_id: endpoint.id,
        owner_id: endpoint.owner_id,
        type: spec.type,
        status: "pending",
        generation: 1,
        attempts: 0,
        next_attempt_at_ms: now_ms,
        last_status_code: null,
        last_error: null,
        delivered_at_ms: null,
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
      };
      await deliveries.insertDelivery(tx, delivery);
      out.push(delivery);
    }
    return out;
  }

  /** The attempt `attempt` of `generation`, or null when it is stale or already done. */
  async function job(
    ex: Executor,
    ref: { delivery_id: string; generation: number; attempt: number },
  ): Promise<Job | null> {
    const delivery = await deliveries.getDelivery(ex, ref.delivery_id);
    if (
      delivery?.status !== "pending" ||
      delivery.generation !== ref.generation ||
      delivery.attempts !== ref.attempt - 1
    )
      return null;
    const endpoint = await store.getEndpointRow(ex, delivery.endpoint_id);
    const message = await store.getMessage(ex, delivery.message_id);
    return endpoint && message ? { delivery, endpoint, message } : null;
  }

  /** One signed POST; never throws for the receiver's faults, only reports them. */
  async function send(j: Job): Promise<SendResult> {
    const { message, endpoint } = j;
    const timestamp_s = Math.floor(deps.wall_clock.now_ms() / 1000);
    const headers = signedHeaders(
      deps.subscriptions.signingSecrets(endpoint),
      message.id,
      timestamp_s,
      message.body,
    );
    const started = performance.now();
    const duration = () => Math.round(performance.now() - started);
    try {
      const res = await guardedFetch(endpoint.url, {
        method: "POST",
        body: Buffer.from(message.body),
        headers,
        timeout_ms: deps.outbound.timeout_ms,
        max_bytes: deps.outbound.response_bytes_max,
        allowHosts: deps.outbound.allowHosts,
        allowPrivate: deps.outbound.allowPrivate,
      });
      const ok = res.status >= 200 && res.status < 300;
      return {
        status_code: res.status,
        retry_after_ms: retryAfterMs(res.headers["retry-after"], deps.wall_clock.now_ms()),
        error: ok ? null : `HTTP ${res.status}`,
        duration_ms: duration(),
      };
    } catch (error) {
      if (!isProblem(error)) throw error;
      return {
        status_code: null,
        retry_after_ms: null,
        error: `${error.code}: ${error.detail}`,
        duration_ms: duration(),
      };
    }
  }

  /**
   * Records an attempt's result and decides the next step, guarded so a repeated attempt is not
   * recorded twice; returns when to try again (null: no further attempt).
   */
  async function finish(
    tx: Executor,
    j: Job,
    result: SendResult,
  ): Promise<{ recorded: boolean; retry_at_ms: number | null }> {
    const attempt = j.delivery.attempts + 1;
    const step =
      j.endpoint.status === "enabled"
        ? nextStep(deps.retry, attempt, result)
        : ({ status: "dead", disable: false } as const);
    const now_ms = clock.now_ms();
    const retry_at_ms = step.status === "pending" ? now_ms + step.retry_in_ms : null;
    const recorded = await deliveries.finishAttempt(tx, j.delivery, attempt, {
      status: step.status,
      next_attempt_at_ms: retry_at_ms,
      last_status_code: result.status_code,
      last_error: j.endpoint.status === "enabled" ? result.error : "the endpoint is disabled",
      delivered_at_ms: step.status === "succeeded" ? now_ms : null,
      updated_at_ms: now_ms,
    });
    if (!recorded) return { recorded, retry_at_ms: null };
    await deliveries.insertAttempt(tx, {
      id: newId("wha", now_ms),
      delivery_id: j.delivery.id,
      generation: j.delivery.generation,
      attempt,
      at_ms: now_ms,
      status_code: result.status_code,
      error: result.error,
      duration_ms: result.duration_ms,
    });
    if (step.status === "dead" && step.disable)
      await store.disableEndpoint(tx, j.endpoint.id, "410 Gone from the receiver", now_ms);
    return { recorded, retry_at_ms };
  }

  return { record, job, send, finish };
}

export type Delivery = ReturnType<typeof createDelivery>;
