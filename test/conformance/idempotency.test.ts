import { expect, it } from "vitest";
import { createIdempotency, firstDifference } from "../../src/idempotency/index.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { limits } from "../../src/kernel/limits.ts";
import { isProblem } from "../../src/kernel/problem.ts";
import { describeStores } from "../support/stores.ts";

async function problemCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isProblem(error)) return error.code;
    throw error;
  }
  return "none";
}

describeStores("idempotency", (store) => {
  const clock = manualClock();
  const idem = createIdempotency({ clock });
  const scope = () => ({
    owner: newId("prn"),
    method: "POST",
    route: "/api/v1/x",
    key: newId("k"),
  });

  it("reserves a new key, then replays the stored response for the same request", async () => {
    const s = scope();
    const first = await idem.begin(store.db.kysely, s, { body: { a: 1 } });
    expect(first.kind).toBe("new");
    if (first.kind !== "new") return;
    await idem.complete(store.db.kysely, s, first.token, {
      status: 201,
      body: { id: "x" },
      headers: {},
    });
    const again = await idem.begin(store.db.kysely, s, { body: { a: 1 } });
    expect(again).toEqual({
      kind: "replay",
      response: { status: 201, body: { id: "x" }, headers: {} },
    });
  });

  it("answers IN_USE while the first request is in flight", async () => {
    const s = scope();
    await idem.begin(store.db.kysely, s, { body: {} });
    expect(await problemCode(idem.begin(store.db.kysely, s, { body: {} }))).toBe(
      "IDEMPOTENCY_KEY_IN_USE",
    );
  });

  it("answers REUSED, naming the first differing field, for another body under the same key", async () => {
    const s = scope();
    await idem.begin(store.db.kysely, s, { body: { amount: "1.00", asset: "USDC" } });
    try {
      await idem.begin(store.db.kysely, s, { body: { amount: "2.00", asset: "USDC" } });
      expect.unreachable();
    } catch (error) {
      expect(isProblem(error) && error.code).toBe("IDEMPOTENCY_KEY_REUSED");
      expect(isProblem(error) && error.extensions.pointer).toBe("/body/amount");
    }
  });

  it("lets a retry take over a reservation whose holder died", async () => {
    const s = scope();
    const dead = await idem.begin(store.db.kysely, s, {});
    clock.advance(limits.idempotency_lock_ms + 1);
    const retry = await idem.begin(store.db.kysely, s, {});
    expect(retry.kind).toBe("new");
    if (dead.kind !== "new" || retry.kind !== "new") return;
    // The dead holder can no longer store a response over the new holder's.
    expect(
      await idem.complete(store.db.kysely, s, dead.token, { status: 200, body: 1, headers: {} }),
    ).toBe(false);
    expect(
      await idem.complete(store.db.kysely, s, retry.token, { status: 200, body: 2, headers: {} }),
    ).toBe(true);
  });

  it("forgets results after the retention period", async () => {
    const s = scope();
    const first = await idem.begin(store.db.kysely, s, {});
    if (first.kind !== "new") throw new Error("expected new");
    await idem.complete(store.db.kysely, s, first.token, { status: 200, body: 1, headers: {} });
    clock.advance(limits.idempotency_retention_ms);
    expect((await idem.begin(store.db.kysely, s, { other: true })).kind).toBe("new");
  });

  it("gives one reservation to 20 concurrent first requests", async () => {
    const s = scope();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        idem.begin(store.db.kysely, s, { same: true }).then(
          (r) => r.kind,
          (e) => (isProblem(e) ? e.code : "error"),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "new")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "IDEMPOTENCY_KEY_IN_USE")).toHaveLength(19);
  });
});

it("finds the first differing JSON pointer, escaping ~ and /", () => {
  expect(firstDifference({ a: 1 }, { a: 1 })).toBeNull();
  expect(firstDifference({ a: { "x/y": [1, 2] } }, { a: { "x/y": [1, 3] } })).toBe("/a/x~1y/1");
  expect(firstDifference({ a: 1 }, { a: 1, b: 2 })).toBe("/b");
  expect(firstDifference(1, "1")).toBe("/");
});
