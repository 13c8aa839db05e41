import type { Database, Executor } from "../db/db.ts";
import { batchHandler, type Outbox, type OutboxHandler } from "../outbox/index.ts";
import {
  type AttemptRef,
  type Job,
  type SendResult,
  type WebhookDelivery,
  type Webhooks,
  webhookLimits,
} from "../webhooks/index.ts";

/** One outbox row per attempt, so the webhook schedule never depends on the outbox's own. */
export const TOPIC_WEBHOOK_DELIVER = "webhook.deliver";

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

  /**
   * Records a batch's attempts, schedules the next attempt of each that will retry and finishes
   * the batch's outbox rows, all in the caller's transaction: a batch's records are one commit.
   */
  async function recordBatch(
    tx: Executor,
    sent: readonly { job: Job; result: SendResult; attempt: number }[],
    outbox_ids: readonly string[],
  ): Promise<void> {
    const steps = await webhooks.finishAll(tx, sent);
    for (const [i, { job, attempt }] of sent.entries()) {
      const retry_at_ms = steps[i]?.retry_at_ms ?? null;
      if (retry_at_ms !== null) await schedule(tx, job.delivery, attempt + 1, retry_at_ms);
    }
    await outbox.finish(tx, outbox_ids);
  }

  return {
    emit,
    schedule,
    recordBatch,
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
 * The delivery handler: reads the attempts, POSTs outside any transaction (a slow receiver holds
 * no lock), then records the results, schedules the next attempts and finishes the outbox rows in
 * one transaction. The worker hands it up to `attempts_per_batch_max` claimed attempts at once,
 * so a batch costs one read, its POSTs side by side, and one commit. A crash between a POST and
 * its record sends the same `webhook-id` again, which receivers dedupe.
 */
export function webhookHandlers(deps: {
  db: Database;
  webhooks: Webhooks;
  flows: WebhookFlows;
}): Record<string, OutboxHandler> {
  const { db, webhooks, flows } = deps;
  const disabled = { status_code: null, retry_after_ms: null, error: "endpoint disabled" };
  return {
    [TOPIC_WEBHOOK_DELIVER]: batchHandler(
      async (messages, progress) => {
        const refs: AttemptRef[] = messages.map((m) => ({
          delivery_id: String(m.payload.delivery_id),
          generation: Number(m.payload.generation),
          attempt: Number(m.payload.attempt),
        }));
        const jobs = await webhooks.jobs(db.kysely, refs);
        const done = await Promise.all(
          jobs.map(async (job, i) => {
            if (!job) return null;
            const result =
              job.endpoint.status === "enabled"
                ? await webhooks.send(job)
                : { ...disabled, duration_ms: 0 };
            return { job, result, attempt: refs[i]?.attempt ?? job.delivery.attempts + 1 };
          }),
        );
        progress.effectsDone();
        const sent = done.filter((d) => d !== null);
        if (sent.length === 0) return messages.map(() => ({ outcome: "done" as const }));
        await db.transaction((tx) =>
          flows.recordBatch(
            tx,
            sent,
            messages.map((m) => m.id),
          ),
        );
        return messages.map(() => ({ outcome: "recorded" as const }));
      },
      { batch_size_max: webhookLimits.attempts_per_batch_max },
    ),
  };
}
