import type { Executor } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import { type Clock, isoOf } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { stringifyWithBigints } from "../kernel/json.ts";
import { isProblem } from "../kernel/problem.ts";
import * as deliveries from "./deliveries-store.ts";
import { webhookLimits } from "./limits.ts";
import type { RetryPolicy, SendResult, WebhookAttempt, WebhookDelivery } from "./model.ts";
import { createSender } from "./sender.ts";
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

/** Which attempt an outbox row asks for. */
export interface AttemptRef {
  delivery_id: string;
  generation: number;
  attempt: number;
}

/** One delivery's attempt, ready to send. */
export type Job = deliveries.DeliveryToSend;

/** Events into messages and deliveries; attempts out through the SSRF-guarded fetch. */
export function createDelivery(deps: DeliveryDeps) {
  const { clock } = deps;
  const sender = createSender(deps.outbound);

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

  /**
   * The attempts named by `refs` (one read for all of them), each null when it is stale or
   * already done.
   */
  async function jobs(ex: Executor, refs: readonly AttemptRef[]): Promise<(Job | null)[]> {
    const found = await deliveries.getDeliveriesToSend(
      ex,
      refs.map((r) => r.delivery_id),
    );
    const taken = new Set<string>();
    return refs.map((ref) => {
      const j = found.get(ref.delivery_id);
      const d = j?.delivery;
      const current =
        d?.status === "pending" &&
        d.generation === ref.generation &&
        d.attempts === ref.attempt - 1;
      // One attempt per delivery per batch: a twin row would be recorded once, sent twice.
      if (!j || !current || taken.has(j.delivery.id)) return null;
      taken.add(j.delivery.id);
      return j;
    });
  }

  /** The attempt `attempt` of `generation`, or null when it is stale or already done. */
  async function job(ex: Executor, ref: AttemptRef): Promise<Job | null> {
    return (await jobs(ex, [ref]))[0] ?? null;
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
      const res = await sender.post(endpoint.url, headers, message.body);
      const ok = res.status >= 200 && res.status < 300;
      return {
        status_code: res.status,
        retry_after_ms: retryAfterMs(res.retry_after, deps.wall_clock.now_ms()),
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
   * Records attempts' results and decides their next steps, in the caller's transaction (one
   * statement per delivery, guarded so a repeated attempt is not recorded twice, and one for all
   * attempt rows); answers per result whether it was recorded and when to try again (null: no
   * further attempt).
   */
  async function finishAll(
    tx: Executor,
    done: readonly { job: Job; result: SendResult }[],
  ): Promise<{ recorded: boolean; retry_at_ms: number | null }[]> {
    const now_ms = clock.now_ms();
    const planned = done.map(({ job: j, result }) => {
      const attempt = j.delivery.attempts + 1;
      const enabled = j.endpoint.status === "enabled";
      const step = enabled
        ? nextStep(deps.retry, attempt, result)
        : ({ status: "dead", disable: false } as const);
      const retry_at_ms = step.status === "pending" ? now_ms + step.retry_in_ms : null;
      const end: deliveries.AttemptEnd = {
        id: j.delivery.id,
        generation: j.delivery.generation,
        attempt,
        status: step.status,
        next_attempt_at_ms: retry_at_ms,
        last_status_code: result.status_code,
        last_error: enabled ? result.error : "the endpoint is disabled",
        delivered_at_ms: step.status === "succeeded" ? now_ms : null,
        updated_at_ms: now_ms,
      };
      return { j, result, step, end };
    });
    const recorded = await deliveries.finishAttempts(
      tx,
      planned.map((p) => p.end),
    );
    const attempts: WebhookAttempt[] = [];
    for (const { j, result, step, end } of planned) {
      if (!recorded.has(j.delivery.id)) continue;
      attempts.push({
        id: newId("wha", now_ms),
        delivery_id: j.delivery.id,
        generation: j.delivery.generation,
        attempt: end.attempt,
        at_ms: now_ms,
        status_code: result.status_code,
        error: result.error,
        duration_ms: result.duration_ms,
      });
      if (step.status === "dead" && step.disable)
        await store.disableEndpoint(tx, j.endpoint.id, "410 Gone from the receiver", now_ms);
    }
    await deliveries.insertAttempts(tx, attempts);
    return planned.map(({ j, end }) => {
      const ok = recorded.has(j.delivery.id);
      return { recorded: ok, retry_at_ms: ok ? end.next_attempt_at_ms : null };
    });
  }

  /** finishAll for one attempt. */
  async function finish(tx: Executor, j: Job, result: SendResult) {
    const [one] = await finishAll(tx, [{ job: j, result }]);
    assert(one, "finishAll answers every result");
    return one;
  }

  /** Closes the kept-alive connections to receivers. */
  const close = () => sender.close();

  return { record, job, jobs, send, finish, finishAll, close };
}

export type Delivery = ReturnType<typeof createDelivery>;
