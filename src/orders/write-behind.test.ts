import { expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { isProblem } from "../kernel/problem.ts";
import { createOrders, type NewOrder } from "./orders.ts";

const actor = { id: "prn_buyer", reason: "test" };

function newOrder(client_ref: string | null = null): NewOrder {
  return {
    buyer_id: "prn_buyer",
    provider_id: "prn_provider",
    service_id: "svc_1",
    service_snapshot: { endpoints: [{ url: "builtin:text.stats#analyze" }] },
    skill_key: "text.stats",
    operation: "analyze",
    input: { text: "hi" },
    quote_id: null,
    amount_minor: 1000n,
    fee_minor: 10n,
    asset: "USDC",
    rail: "prepaid",
    client_ref,
    pairing_id: null,
  };
}

describeStores("orders a transaction creates and moves before it commits", (store) => {
  const clock = manualClock(Date.UTC(2026, 10, 24));
  const orders = createOrders({ clock });

  it("commits the last state of every row and an audit event for every transition", async () => {
    const id = await store.db.transaction(async (tx) => {
      const { order } = await orders.create(tx, newOrder());
      const { payment } = await orders.createPayment(tx, order, {
        rail: "prepaid",
        status: "intent_created",
        verification: "ledger",
      });
      let o = await orders.transition(tx, order, "request_payment", actor);
      await orders.paymentTransition(tx, payment, "hold", actor, { hold_id: "hold_1" });
      o = await orders.transition(tx, o, "payment_held", actor);
      o = await orders.transition(tx, o, "start", actor);
      const run = await orders.startRun(tx, o, "builtin");
      // Reads in the same transaction see what it did so far.
      expect((await orders.get(tx, o.id)).status).toBe("executing");
      expect((await orders.paymentOf(tx, o.id)).hold_id).toBe("hold_1");
      await orders.finishRun(tx, run, { ok: true, value: { n: 1 }, latency_ms: 3 });
      o = await orders.transition(tx, o, "deliver", actor);
      o = await orders.transition(tx, o, "confirm", actor);
      const p = await orders.paymentOf(tx, o.id);
      await orders.paymentTransition(tx, p, "release", actor);
      return o.id;
    });
    const ex = store.db.kysely;
    expect((await orders.get(ex, id)).status).toBe("confirmed");
    expect(await orders.paymentOf(ex, id)).toMatchObject({ status: "released", hold_id: "hold_1" });
    const [run] = await orders.runs(ex, { order_id: id }, 5);
    expect(run).toMatchObject({ status: "succeeded", latency_ms: 3 });
    expect((await orders.outcomeOf(ex, id))?.result).toEqual({ n: 1 });
    const trail = (await orders.events(ex, id)).map((e) => `${e.subject}:${e.to_status}`);
    expect(trail).toEqual([
      "order:payment_pending",
      "payment:held",
      "order:ready",
      "order:executing",
      "order:delivered",
      "order:confirmed",
      "payment:released",
    ]);
  });

  it("refuses a transition from a state the order has already left, as a guarded write would", async () => {
    const outcome = await store.db
      .transaction(async (tx) => {
        const { order } = await orders.create(tx, newOrder());
        await orders.transition(tx, order, "request_payment", actor);
        // `order` still says created: a second request_payment from it is stale.
        await orders.transition(tx, order, "request_payment", actor);
      })
      .then(
        () => "committed",
        (e: unknown) => (isProblem(e) ? e.code : String(e)),
      );
    expect(outcome).toBe("ORDER_TRANSITION_FORBIDDEN");
  });

  it("writes nothing when the transaction rolls back", async () => {
    let id = "";
    await store.db
      .transaction(async (tx) => {
        const { order } = await orders.create(tx, newOrder("ref-rollback"));
        id = order.id;
        await orders.transition(tx, order, "request_payment", actor);
        throw new Error("abort");
      })
      .catch(() => {});
    expect(await orders.list(store.db.kysely, { party_id: "prn_buyer" }, null, 100)).not.toEqual(
      expect.arrayContaining([expect.objectContaining({ id })]),
    );
  });

  it("moves an order it did not create with a guarded write, as before", async () => {
    const { order } = await store.db.transaction((tx) => orders.create(tx, newOrder()));
    const moved = await store.db.transaction((tx) =>
      orders.transition(tx, order, "request_payment", actor),
    );
    expect(moved.status).toBe("payment_pending");
    const stale = await store.db
      .transaction((tx) => orders.transition(tx, order, "request_payment", actor))
      .then(
        () => "committed",
        (e: unknown) => (isProblem(e) ? e.code : String(e)),
      );
    expect(stale).toBe("ORDER_TRANSITION_FORBIDDEN");
    expect((await orders.get(store.db.kysely, order.id)).status).toBe("payment_pending");
  });
});
