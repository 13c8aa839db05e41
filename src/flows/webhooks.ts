import type { Database, Executor } from "../db/db.ts";
import type { Outbox, OutboxHandler } from "../outbox/index.ts";
import type { WebhookDelivery, Webhooks } from "../webhooks/index.ts";

/** One outbox row per attempt, so the webhook schedule never depends on the outbox's own. */
export const TOPIC_WEBHOOK_DELIVER = "webhook.deliver";

interface AttemptRef {
  delivery_id: string;
  generation: number;
  attempt: number;
}

/** Events out of the hub: recorded with the change that causes them, attempted by the outbox. */
export function createWebhookFlows(deps: { webhooks: Webhooks; outbox: Outbox }) {
  const { webhooks, outbox } = deps;

  /** Schedules an attempt; the key makes a repeated schedule of the same attempt a no-op. */
  async function schedule(tx: Executor, d: WebhookDelivery, attempt: number, due_at_ms?: number) {
    const payload: AttemptRef = { delivery_id: d.id, generation: d.generation, attempt };
    await outbox.enqueue(tx, {
      topic: TOPIC_WEBHOOK_DELIVER,
      payload: { ...payload },
      ...(due_at_ms !== undefined ? { due_at_ms } : {}),
      dedupe_key: `whd:${d.id}:${d.generation}:${attempt}`,
    });
  }

  /** Records an event for its recipients' endpoints and schedules the first attempts. */
  async function emit(
    tx: Executor,
    spec: { to: readonly string[]; type: string; data: Record<string, unknown> },
  ): Promise<number> {
    const made = await webhooks.record(tx, spec);
    for (const d of made) await schedule(tx, d, 1);
    return made.length;
  }

  return {
    emit,
    schedule,
    /** Sends one delivery again (a new generation of attempts). */
    redeliver: async (tx: Executor, owner_id: string, endpoint_id: string, id: string) => {
      const d = await webhooks.reopen(tx, owner_id, endpoint_id, id);
      await schedule(tx, d, 1);
      return d;
    },
    /** Sends every dead delivery of an endpoint again. */
    redeliverFailed: async (tx: Executor, owner_id: string, endpoint_id: string) => {
      const reopened = await webhooks.reopenFailed(tx, owner_id, endpoint_id);
      for (const d of reopened) await schedule(tx, d, 1);
      return reopened.length;
    },
  };
}

export type WebhookFlows = ReturnType<typeof createWebhookFlows>;

/**
 * The delivery handler: reads the attempt, POSTs outside any transaction (a slow receiver holds
 * no lock), then records the result and schedules the next attempt in one transaction. A crash
 * between the POST and the record sends the same `webhook-id` again, which receivers dedupe.
 */
export function webhookHandlers(deps: {
  db: Database;
  webhooks: Webhooks;
  flows: WebhookFlows;
}): Record<string, OutboxHandler> {
  const { db, webhooks, flows } = deps;
  return {
    [TOPIC_WEBHOOK_DELIVER]: async (m) => {
      const ref: AttemptRef = {
        delivery_id: String(m.payload.delivery_id),
        generation: Number(m.payload.generation),
        attempt: Number(m.payload.attempt),
      };
      const job = await webhooks.job(db.kysely, ref);
      if (!job) return { outcome: "done" };
      const result =
        job.endpoint.status === "enabled"
          ? await webhooks.send(job)
          : { status_code: null, retry_after_ms: null, error: "endpoint disabled", duration_ms: 0 };
      await db.transaction(async (tx) => {
        const { retry_at_ms } = await webhooks.finish(tx, job, result);
        if (retry_at_ms !== null)
          await flows.schedule(tx, job.delivery, ref.attempt + 1, retry_at_ms);
      });
      return { outcome: "done" };
    },
  };
}
