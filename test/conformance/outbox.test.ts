import { expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { limits } from "../../src/kernel/limits.ts";
import { createLogger } from "../../src/kernel/logger.ts";
import {
  backoffDelay_ms,
  batchHandler,
  createOutbox,
  createOutboxWorker,
  type OutboxMessage,
} from "../../src/outbox/index.ts";
import { describeStores } from "../support/stores.ts";

const logger = createLogger({ level: "silent" });

describeStores("outbox", (store) => {
  const clock = manualClock();
  const outbox = createOutbox({ clock });

  it("delivers a message enqueued in a committed transaction, and none from a rolled-back one", async () => {
    const seen: string[] = [];
    const topic = `t.${Math.random()}`;
    await store.db.transaction((tx) => outbox.enqueue(tx, { topic, payload: { n: 1 } }));
    await store.db
      .transaction(async (tx) => {
        await outbox.enqueue(tx, { topic, payload: { n: 2 } });
        throw new Error("roll back");
      })
      .catch(() => {});
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      handlers: {
        [topic]: async (m) => {
          seen.push(String(m.payload.n));
          return { outcome: "done" };
        },
      },
    });
    expect(await worker.drain()).toBe(1);
    expect(seen).toEqual(["1"]);
  });

  it("retries a failing handler with backoff and gives up after the attempt limit", async () => {
    const topic = `t.${Math.random()}`;
    const m = await store.db.transaction((tx) => outbox.enqueue(tx, { topic, payload: {} }));
    let calls = 0;
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      attempts_max: 3,
      handlers: {
        [topic]: async () => {
          calls++;
          throw new Error("peer down");
        },
      },
    });
    await worker.runOnce();
    expect(calls).toBe(1);
    expect(await worker.runOnce()).toBe(0);
    let current = await outbox.get(store.db.kysely, m.id);
    expect(current?.state).toBe("pending");
    expect(current?.last_error).toBe("peer down");
    clock.advance(limits.outbox_backoff_ms[4] * 2);
    await worker.runOnce();
    clock.advance(limits.outbox_backoff_ms[4] * 2);
    await worker.runOnce();
    current = await outbox.get(store.db.kysely, m.id);
    expect(calls).toBe(3);
    expect(current?.state).toBe("dead");
  });

  it("lets a handler wait (not due yet) as often as it needs without using up its attempts", async () => {
    const topic = `t.${Math.random()}`;
    const m = await store.db.transaction((tx) => outbox.enqueue(tx, { topic, payload: {} }));
    let calls = 0;
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      attempts_max: 2,
      handlers: {
        [topic]: async () => {
          calls++;
          if (calls <= 5) {
            return {
              outcome: "wait",
              reason: "chain not there yet",
              retry_at_ms: clock.now_ms() + 1_000,
            };
          }
          if (calls === 6) throw new Error("peer down");
          return { outcome: "done" };
        },
      },
    });
    for (let i = 0; i < 5; i++) {
      expect(await worker.runOnce()).toBe(1);
      // Not due before the time it asked for.
      expect(await worker.runOnce()).toBe(0);
      const current = await outbox.get(store.db.kysely, m.id);
      expect([current?.state, current?.last_error]).toEqual(["pending", "chain not there yet"]);
      clock.advance(1_000);
    }
    // A real failure after all that waiting still has its attempts left.
    await worker.runOnce();
    expect((await outbox.get(store.db.kysely, m.id))?.state).toBe("pending");
    clock.advance(limits.outbox_backoff_ms[4] * 2);
    await worker.runOnce();
    expect(calls).toBe(7);
    expect((await outbox.get(store.db.kysely, m.id))?.state).toBe("done");
  });

  it("holds a timed event until it is due and lets it be cancelled by name", async () => {
    const topic = `t.${Math.random()}`;
    const seen: OutboxMessage[] = [];
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      handlers: {
        [topic]: async (m) => {
          seen.push(m);
          return { outcome: "done" };
        },
      },
    });
    const due = clock.now_ms() + 3_600_000;
    await store.db.transaction(async (tx) => {
      await outbox.enqueue(tx, {
        topic,
        payload: { k: "a" },
        due_at_ms: due,
        dedupe_key: `${topic}:a`,
      });
      await outbox.enqueue(tx, {
        topic,
        payload: { k: "a2" },
        due_at_ms: due,
        dedupe_key: `${topic}:a`,
      });
      await outbox.enqueue(tx, {
        topic,
        payload: { k: "b" },
        due_at_ms: due,
        dedupe_key: `${topic}:b`,
      });
    });
    expect(await worker.drain()).toBe(0);
    expect(await store.db.transaction((tx) => outbox.cancel(tx, `${topic}:b`))).toBe(true);
    clock.advance(3_600_000);
    expect(await worker.drain()).toBe(1);
    expect(seen.map((m) => m.payload.k)).toEqual(["a"]);
  });

  it("hands a batching handler every claimed message of its topic at once and records each outcome", async () => {
    const topic = `t.${Math.random()}`;
    await store.db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await outbox.enqueue(tx, { topic, payload: { i } });
    });
    const batches: number[][] = [];
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      handlers: {
        [topic]: batchHandler(async (messages) => {
          batches.push(messages.map((m) => Number(m.payload.i)));
          return messages.map((m) =>
            Number(m.payload.i) === 3
              ? { outcome: "retry" as const, reason: "three is flaky" }
              : { outcome: "done" as const },
          );
        }),
      },
    });
    expect(await worker.runOnce()).toBe(5);
    expect(batches.map((b) => [...b].sort())).toEqual([[0, 1, 2, 3, 4]]);
    const rows = await store.db.kysely
      .selectFrom("outbox_messages")
      .select(["payload", "state", "last_error"])
      .where("topic", "=", topic)
      .execute();
    const states = rows.map((r) => [JSON.parse(String(r.payload)).i, r.state, r.last_error]);
    expect(states.sort()).toEqual([
      [0, "done", null],
      [1, "done", null],
      [2, "done", null],
      [3, "pending", "three is flaky"],
      [4, "done", null],
    ]);
    expect(await worker.runOnce()).toBe(0);
  });

  it("never hands one message to two concurrent workers", async () => {
    const topic = `t.${Math.random()}`;
    await store.db.transaction(async (tx) => {
      for (let i = 0; i < 200; i++) await outbox.enqueue(tx, { topic, payload: { i } });
    });
    const delivered: number[] = [];
    const handler = async (m: OutboxMessage) => {
      delivered.push(Number(m.payload.i));
      return { outcome: "done" as const };
    };
    const workers = Array.from({ length: 4 }, () =>
      createOutboxWorker({
        db: store.db,
        clock,
        logger,
        batch_size: 10,
        handlers: { [topic]: handler },
      }),
    );
    await Promise.all(workers.map((w) => w.drain()));
    expect(delivered).toHaveLength(200);
    expect(new Set(delivered).size).toBe(200);
  });
});

it("spreads retries with ±15 % jitter around the backoff table", () => {
  expect(backoffDelay_ms(1, () => 0.5)).toBe(60_000);
  expect(backoffDelay_ms(1, () => 0)).toBe(51_000);
  expect(backoffDelay_ms(1, () => 1)).toBe(69_000);
  expect(backoffDelay_ms(99, () => 0.5)).toBe(43_200_000);
});
