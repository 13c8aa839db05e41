import type { Executor } from "../db/db.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
import { Problem } from "../kernel/problem.ts";
import * as deliveries from "./deliveries-store.ts";
import { createDelivery } from "./delivery.ts";
import { webhookLimits } from "./limits.ts";
import type { DeliveryStatus, RetryPolicy, WebhookAttempt, WebhookDelivery } from "./model.ts";
import { webhookProblems } from "./problems.ts";
import { createSecretSeal } from "./signing.ts";
import { createSubscriptions } from "./subscriptions.ts";

export interface WebhooksDeps {
  clock: Clock;
  /** Defaults to the system clock: `webhook-timestamp` is checked against receivers' clocks. */
  wall_clock?: Clock;
  /** Seals secrets at rest (AGX_SECRET_KEY); null stores them marked `plain:`. */
  secret_key: string | null;
  checkUrl(url: string, pointer: string): Promise<void>;
  outbound: {
    allowHosts: readonly string[];
    allowPrivate: boolean;
    timeout_ms?: number;
    response_bytes_max?: number;
  };
  retry?: Partial<RetryPolicy>;
}

/** Webhook subscriptions, events as signed messages, and their deliveries. */
export function createWebhooks(deps: WebhooksDeps) {
  const { clock } = deps;
  const subscriptions = createSubscriptions({
    clock,
    seal: createSecretSeal(deps.secret_key),
    checkUrl: deps.checkUrl,
    outbound: deps.outbound,
  });
  const delivery = createDelivery({
    clock,
    wall_clock: deps.wall_clock ?? systemClock,
    subscriptions,
    retry: {
      attempts_max: deps.retry?.attempts_max ?? webhookLimits.attempts_max,
      schedule_ms: deps.retry?.schedule_ms ?? webhookLimits.retry_schedule_ms,
      jitter_ratio: deps.retry?.jitter_ratio ?? webhookLimits.retry_jitter_ratio,
    },
    outbound: {
      allowHosts: deps.outbound.allowHosts,
      allowPrivate: deps.outbound.allowPrivate,
      timeout_ms: deps.outbound.timeout_ms ?? webhookLimits.request_timeout_ms,
      response_bytes_max: deps.outbound.response_bytes_max ?? webhookLimits.response_bytes_max,
    },
  });

  async function deliveryOf(ex: Executor, owner_id: string, endpoint_id: string, id: string) {
    await subscriptions.get(ex, owner_id, endpoint_id);
    const d = await deliveries.getDelivery(ex, id);
    if (!d || d.endpoint_id !== endpoint_id)
      throw new Problem(webhookProblems.WEBHOOK_DELIVERY_NOT_FOUND, `no delivery ${id}`);
    return d;
  }

  /** An endpoint's deliveries, newest first, each with its latest attempts. */
  async function listDeliveries(
    ex: Executor,
    owner_id: string,
    endpoint_id: string,
    f: { status?: DeliveryStatus; cursor: string | null; limit: number },
  ): Promise<{
    items: (WebhookDelivery & { attempts_list: WebhookAttempt[] })[];
    next_cursor: string | null;
  }> {
    await subscriptions.get(ex, owner_id, endpoint_id);
    const rows = await deliveries.listDeliveries(
      ex,
      { endpoint_id, ...(f.status ? { status: f.status } : {}) },
      f.cursor,
      f.limit + 1,
    );
    const page = rows.slice(0, f.limit);
    const attempts = await deliveries.attemptsOf(
      ex,
      page.map((d) => d.id),
      webhookLimits.attempts_listed_max,
    );
    return {
      items: page.map((d) => ({ ...d, attempts_list: attempts.get(d.id) ?? [] })),
      next_cursor: rows.length > f.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /**
   * Every endpoint's deliveries, newest first, each with its latest attempts: for the operator
   * only (the caller checks), so it is not scoped to an owner.
   */
  async function listAllDeliveries(
    ex: Executor,
    f: { endpoint_id?: string; status?: DeliveryStatus; cursor: string | null; limit: number },
  ) {
    const rows = await deliveries.listDeliveries(
      ex,
      {
        ...(f.endpoint_id ? { endpoint_id: f.endpoint_id } : {}),
        ...(f.status ? { status: f.status } : {}),
      },
      f.cursor,
      f.limit + 1,
    );
    const page = rows.slice(0, f.limit);
    const attempts = await deliveries.attemptsOf(
      ex,
      page.map((d) => d.id),
      webhookLimits.attempts_listed_max,
    );
    return {
      items: page.map((d) => ({ ...d, attempts_list: attempts.get(d.id) ?? [] })),
      next_cursor: rows.length > f.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /** A delivery by id whoever owns it (operator reads), or WEBHOOK_DELIVERY_NOT_FOUND. */
  async function anyDelivery(ex: Executor, id: string): Promise<WebhookDelivery> {
    const d = await deliveries.getDelivery(ex, id);
    if (!d) throw new Problem(webhookProblems.WEBHOOK_DELIVERY_NOT_FOUND, `no delivery ${id}`);
    return d;
  }

  /** Starts a delivery over (a new generation of attempts); the flow schedules attempt 1. */
  async function reopen(tx: Executor, owner_id: string, endpoint_id: string, id: string) {
    const endpoint = await subscriptions.get(tx, owner_id, endpoint_id);
    if (endpoint.status !== "enabled")
      throw new Problem(
        webhookProblems.WEBHOOK_ENDPOINT_DISABLED,
        `endpoint ${endpoint_id} is disabled (${endpoint.disabled_reason}); enable it first`,
      );
    const d = await deliveryOf(tx, owner_id, endpoint_id, id);
    if (!(await deliveries.reopen(tx, d, clock.now_ms())))
      throw new Problem(
        webhookProblems.WEBHOOK_DELIVERY_PENDING,
        `delivery ${id} is still being attempted`,
      );
    return { ...d, status: "pending" as const, generation: d.generation + 1, attempts: 0 };
  }

  /** Starts every dead delivery of an endpoint over, oldest first, up to a batch. */
  async function reopenFailed(tx: Executor, owner_id: string, endpoint_id: string) {
    // The owner's endpoint first: a stranger gets WEBHOOK_ENDPOINT_NOT_FOUND, not a 202 of 0.
    await subscriptions.get(tx, owner_id, endpoint_id);
    const dead = await deliveries.listDeliveries(
      tx,
      { endpoint_id, status: "dead" },
      null,
      webhookLimits.redeliver_batch_max,
    );
    const out: WebhookDelivery[] = [];
    for (const d of dead.reverse()) out.push(await reopen(tx, owner_id, endpoint_id, d.id));
    return out;
  }

  return {
    subscribe: subscriptions.subscribe,
    list: subscriptions.list,
    get: subscriptions.get,
    update: subscriptions.update,
    rotate: subscriptions.rotate,
    remove: async (tx: Executor, owner_id: string, id: string) => {
      await subscriptions.remove(tx, owner_id, id);
      await deliveries.deleteDeliveriesOf(tx, id);
    },
    record: delivery.record,
    job: delivery.job,
    jobs: delivery.jobs,
    send: delivery.send,
    finish: delivery.finish,
    finishAll: delivery.finishAll,
    /** Closes the kept-alive connections to receivers. */
    close: delivery.close,
    getDelivery: deliveryOf,
    listDeliveries,
    listAllDeliveries,
    anyDelivery,
    reopen,
    reopenFailed,
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
