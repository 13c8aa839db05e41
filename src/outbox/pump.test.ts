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
    const enqueue = (from: number) =>
      store.db.transaction(async (tx) => {
        for (let n = from; n < from + 2; n++) await outbox.enqueue(tx, { topic, payload: { n } });
      });
    await enqueue(0);
    expect(await worker.pump()).toBe(2);
    await enqueue(2);
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
    expect(await worker.pump()).toBe(4);
    const third = worker.pump();
    await new Promise((r) => setTimeout(r, 50));
    expect(most).toBe(4);
    release();
    expect(await third).toBe(2);
    await worker.idle();
    expect(most).toBeLessThanOrEqual(4);
  });

  it("claims all the room there is in one go and hands it over in the handler's batches", async () => {
    const outbox = createOutbox({ clock });
    const topic = `room-${Math.random().toString(36).slice(2, 8)}`;
    const batches: number[][] = [];
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      batch_size: 4,
      in_flight_max: 6,
      handlers: {
        [topic]: batchHandler(
          async (messages: OutboxMessage[]) => {
            batches.push(messages.map((m) => Number(m.payload.n)));
            return messages.map(() => ({ outcome: "done" as const }));
          },
          { batch_size_max: 2 },
        ),
      },
    });
    await store.db.transaction(async (tx) => {
      for (let n = 0; n < 5; n++) await outbox.enqueue(tx, { topic, payload: { n } });
    });
    const doneBefore = (await outbox.countByState(store.db.kysely)).done ?? 0;
    expect(await worker.pump()).toBe(5);
    await worker.idle();
    expect(batches.map((b) => b.length).sort()).toEqual([1, 2, 2]);
    expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4]);
    expect((await outbox.countByState(store.db.kysely)).done).toBe(doneBefore + 5);
  });

  it("writes nothing for messages a handler reports recorded in its own transaction", async () => {
    const outbox = createOutbox({ clock });
    const topic = `own-${Math.random().toString(36).slice(2, 8)}`;
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      handlers: {
        [topic]: batchHandler(async (messages: OutboxMessage[]) => {
          const [first] = messages;
          if (first) await store.db.transaction((tx) => outbox.finish(tx, [first.id]));
          return messages.map(() => ({ outcome: "recorded" as const }));
        }),
      },
    });
    const ids = await store.db.transaction(async (tx) => [
      (await outbox.enqueue(tx, { topic, payload: { n: 0 } })).id,
      (await outbox.enqueue(tx, { topic, payload: { n: 1 } })).id,
    ]);
    await worker.pump();
    await worker.idle();
    expect((await outbox.get(store.db.kysely, ids[0] ?? ""))?.state).toBe("done");
    // The handler said it recorded the second one and did not: it stays leased, not done.
    expect((await outbox.get(store.db.kysely, ids[1] ?? ""))?.state).toBe("pending");
  });

  it("claims again once a batch's effects are done, and bounds the batches still recording", async () => {
    const outbox = createOutbox({ clock });
    const topic = `effects-${Math.random().toString(36).slice(2, 8)}`;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const worker = createOutboxWorker({
      db: store.db,
      clock,
      logger,
      batch_size: 2,
      in_flight_max: 2,
      handlers: {
        [topic]: batchHandler(async (messages: OutboxMessage[], progress) => {
          // Sent, then the records wait, like a commit behind a slow database.
          progress.effectsDone();
          await gate;
          return messages.map(() => ({ outcome: "done" as const }));
        }),
      },
    });
    await store.db.transaction(async (tx) => {
      for (let n = 0; n < 6; n++) await outbox.enqueue(tx, { topic, payload: { n } });
    });
    expect(await worker.pump()).toBe(2);
    expect(await worker.pump()).toBe(2);
    // Two batches recording is as many again as the bound: the third claim waits for one.
    let third: number | null = null;
    const claiming = worker.pump().then((n) => {
      third = n;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(third).toBeNull();
    release();
    await claiming;
    expect(third).toBe(2);
    await worker.idle();
  });
});
