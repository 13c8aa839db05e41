import { expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { createLogger } from "../kernel/logger.ts";
import { batchHandler, type OutboxMessage } from "./model.ts";
import { createOutbox, createOutboxWorker } from "./outbox.ts";

describeStores("the outbox worker's background pump", (store) => {
  const clock = manualClock(Date.UTC(2026, 10, 24));
  const logger = createLogger({ level: "silent" });

  it("claims the next batch while a slow one is still in hand, and records both", async () => {
    const outbox = createOutbox({ clock });
    const topic = `slow-${Math.random().toString(36).slice(2, 8)}`;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const seen: string[][] = [];
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      batch_size: 2,
      in_flight_max: 4,
      handlers: {
        [topic]: batchHandler(async (messages: OutboxMessage[]) => {
          seen.push(messages.map((m) => String(m.payload.n)));
          // The first batch hangs like a receiver that never answers; the rest go through.
          if (seen.length === 1) await gate;
          return messages.map(() => ({ outcome: "done" as const }));
        }),
      },
    });
    await store.db.transaction(async (tx) => {
      for (let n = 0; n < 4; n++) await outbox.enqueue(tx, { topic, payload: { n } });
    });
    expect(await worker.pump()).toBe(2);
    expect(await worker.pump()).toBe(2);
    // The second batch was claimed and finishes while the first is still held.
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(2);
    const counts = await outbox.countByState(store.db.kysely);
    expect(counts.done).toBe(2);
    release();
    await worker.idle();
    expect((await outbox.countByState(store.db.kysely)).done).toBe(4);
  });

  it("waits for room rather than holding more than its bound", async () => {
    const outbox = createOutbox({ clock });
    const topic = `held-${Math.random().toString(36).slice(2, 8)}`;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let inHand = 0;
    let most = 0;
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      batch_size: 2,
      in_flight_max: 4,
      handlers: {
        [topic]: batchHandler(async (messages: OutboxMessage[]) => {
          inHand += messages.length;
          most = Math.max(most, inHand);
          await gate;
          inHand -= messages.length;
          return messages.map(() => ({ outcome: "done" as const }));
        }),
      },
    });
    await store.db.transaction(async (tx) => {
      for (let n = 0; n < 6; n++) await outbox.enqueue(tx, { topic, payload: { n } });
    });
    await worker.pump();
    await worker.pump();
    const third = worker.pump();
    await new Promise((r) => setTimeout(r, 50));
    expect(most).toBe(4);
    release();
    expect(await third).toBe(2);
    await worker.idle();
    expect(most).toBeLessThanOrEqual(4);
  });
});
