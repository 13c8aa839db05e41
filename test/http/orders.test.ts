import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { marketHandlers } from "../../src/compose.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { createOutboxWorker } from "../../src/outbox/index.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

const HOUR = 3_600_000;

describeStores(
  "orders walk every ledger rail through success, failure, refund and dispute",
  (store) => {
    const clock = manualClock(Date.UTC(2026, 10, 2));
    let t: TestHub;
    let serviceId = "";
    let freeId = "";
    let handoffId = "";
    let seller = { id: "", key: "" };

    beforeAll(async () => {
      t = await startTestHub({
        database: store.db,
        clock,
        config: { hub_fee_bps: 0, builtin_resale: true },
      });
      const list = await t.call("GET", "/api/v1/catalog/services?limit=50", {
        headers: { "peac-purpose": "search" },
      });
      serviceId = list.body.items.find(
        (s: { name: string }) => s.name === "builtin-hash-digest-digest",
      ).id;
      seller = await agent();
      const mk = async (name: string, extra: Record<string, unknown>) =>
        (
          await t.call("POST", "/api/v1/catalog/services", {
            key: seller.key,
            body: {
              name,
              version: "1.0.0",
              skill_key: "hash.digest",
              description: name,
              company_name: "S",
              execution_mode: "native",
              endpoints: [{ url: "builtin:hash.digest#digest", method: "POST" }],
              pricing: { model: "fixed", asset: "USDC", amount: "0" },
              rails: ["agx-ledger"],
              ...extra,
            },
          })
        ).body.id as string;
      freeId = await mk(`free-${seller.id.slice(-6)}`, {});
      handoffId = await mk(`vault-${seller.id.slice(-6)}`, {
        execution_mode: "external-handoff",
        handoff: {
          label: "Pay by card",
          url: "https://pay.example/checkout",
          steps: ["open the link"],
        },
        pricing: { model: "fixed", asset: "USDC", amount: "5" },
        rails: ["vault-stripe"],
      });
    });
    afterAll(() => t.close());
    afterEach(async () => {
      expect(
        (await t.call("GET", "/api/v1/admin/ledger/verify", { key: t.adminKey })).body.failures,
      ).toEqual([]);
    });

    async function agent(funds?: string) {
      const reg = await t.call("POST", "/api/agents/register", {
        body: { handle: `ord${Math.random().toString(36).slice(2, 10)}` },
      });
      if (funds)
        await t.call("POST", "/api/v1/admin/deposits", {
          key: t.adminKey,
          body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: funds, asset: "USDC" },
        });
      return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
    }
    const available = async (key: string) =>
      (await t.call("GET", "/api/v1/balances", { key })).body.items.find(
        (a: { kind: string }) => a.kind === "available",
      )?.available_minor ?? "0";
    const post = (key: string, path: string, body: unknown = {}) =>
      t.call("POST", path, { key, body });
    const input = { algorithm: "sha256", data: "abc" };

    async function paidOrder(buyer: { key: string }, rail: "escrow" | "prepaid") {
      const quote = await post(buyer.key, "/api/v1/quotes", { service_id: serviceId, input });
      const order = await post(buyer.key, "/api/v1/market/orders", {
        quote_id: quote.body.id,
        input,
        rail,
      });
      expect(order.status).toBe(201);
      const id = order.body.id;
      expect(
        (await post(buyer.key, `/api/v1/market/orders/${id}/payment-intent`)).body.order.status,
      ).toBe("payment_pending");
      const path = rail === "escrow" ? "payment/escrow-lock" : "payment";
      const paid = await post(buyer.key, `/api/v1/market/orders/${id}/${path}`);
      expect(paid.body.order).toMatchObject({ status: "ready", payment: { status: "held" } });
      return { id, price: BigInt(quote.body.price.amount_minor) };
    }

    it("escrow: holds on lock, delivers on execute, pays the provider on confirm", async () => {
      const buyer = await agent("1");
      const { id, price } = await paidOrder(buyer, "escrow");
      expect(BigInt(await available(buyer.key))).toBe(1_000_000n - price);
      const run = await post(buyer.key, `/api/v1/market/orders/${id}/execute`);
      expect(run.body.order).toMatchObject({ status: "delivered", payment: { status: "held" } });
      expect(run.body.result.digest).toBe(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      );
      const done = await post(buyer.key, `/api/v1/market/orders/${id}/confirm`);
      expect(done.body.order).toMatchObject({
        status: "confirmed",
        payment: { status: "released" },
      });
      const order = await t.call("GET", `/api/v1/market/orders/${id}`, { key: buyer.key });
      expect(order.body.events.map((e: { to_status: string }) => e.to_status)).toEqual([
        "payment_pending",
        "held",
        "ready",
        "executing",
        "delivered",
        "confirmed",
        "released",
      ]);
      expect(order.body.outcome.result_sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it("dispute freezes the payment; the operator resolves for the buyer (refund) or the provider (release)", async () => {
      const buyer = await agent("1");
      for (const outcome of ["refund", "release"] as const) {
        const { id } = await paidOrder(buyer, "escrow");
        await post(buyer.key, `/api/v1/market/orders/${id}/execute`);
        const disputed = await post(buyer.key, `/api/v1/market/orders/${id}/dispute`, {
          reason: "wrong digest",
          evidence: [{ note: "expected sha512" }],
        });
        expect(disputed.body.order).toMatchObject({
          status: "disputed",
          payment: { status: "frozen" },
        });
        const before = BigInt(await available(buyer.key));
        const path = outcome === "refund" ? "refund" : "payment/release";
        expect((await post(buyer.key, `/api/v1/market/orders/${id}/${path}`)).status).toBe(403);
        const resolved = await post(t.adminKey, `/api/v1/market/orders/${id}/${path}`);
        expect(resolved.body.order.payment.status).toBe(
          outcome === "refund" ? "refunded" : "released",
        );
        const after = BigInt(await available(buyer.key));
        expect(after > before).toBe(outcome === "refund");
      }
    });

    it("refuses paying twice, a wrong amount, executing unpaid, confirming undelivered, and strangers", async () => {
      const buyer = await agent("1");
      const stranger = await agent();
      const { id } = await paidOrder(buyer, "prepaid");
      expect((await post(buyer.key, `/api/v1/market/orders/${id}/payment`)).body.code).toBe(
        "PAYMENT_TRANSITION_FORBIDDEN",
      );
      expect((await post(buyer.key, `/api/v1/market/orders/${id}/confirm`)).body.code).toBe(
        "ORDER_TRANSITION_FORBIDDEN",
      );
      expect(
        (await t.call("GET", `/api/v1/market/orders/${id}`, { key: stranger.key })).status,
      ).toBe(404);
      const quote = await post(buyer.key, "/api/v1/quotes", { service_id: serviceId, input });
      const other = (
        await post(buyer.key, "/api/v1/market/orders", {
          quote_id: quote.body.id,
          input,
          rail: "prepaid",
        })
      ).body.id;
      expect((await post(buyer.key, `/api/v1/market/orders/${other}/execute`)).body.code).toBe(
        "ORDER_TRANSITION_FORBIDDEN",
      );
      await post(buyer.key, `/api/v1/market/orders/${other}/payment-intent`);
      expect(
        (await post(buyer.key, `/api/v1/market/orders/${other}/payment`, { amount: "0.5" })).body
          .code,
      ).toBe("PAYMENT_AMOUNT_MISMATCH");
      const changed = await post(buyer.key, "/api/v1/market/orders", {
        quote_id: quote.body.id,
        input: { ...input, data: "abd" },
        rail: "prepaid",
      });
      expect(changed.body.code).toBe("QUOTE_INPUT_INVALID");
      clock.advance(6 * 60_000);
      const stale = await post(buyer.key, "/api/v1/market/orders", {
        quote_id: quote.body.id,
        input,
        rail: "prepaid",
      });
      expect(stale.body.code).toBe("QUOTE_EXPIRED");
    });

    it("replays an order creation by client_ref without a second order", async () => {
      const buyer = await agent("1");
      const body = { service_id: serviceId, input, rail: "prepaid", client_ref: "my-ref-1" };
      const a = await post(buyer.key, "/api/v1/market/orders", body);
      const b = await post(buyer.key, "/api/v1/market/orders", body);
      expect([a.status, b.status]).toEqual([201, 200]);
      expect(b.body.id).toBe(a.body.id);
    });

    it("free services go straight to ready; offchain-record keeps an unverified attestation; handoffs hand off", async () => {
      const buyer = await agent("1");
      const free = await post(buyer.key, "/api/v1/market/orders", {
        service_id: freeId,
        input,
        rail: "prepaid",
      });
      expect(free.body.rail).toBe("not-required");
      expect(
        (await post(buyer.key, `/api/v1/market/orders/${free.body.id}/payment-intent`)).body.order,
      ).toMatchObject({ status: "ready", payment: { status: "not_required" } });
      const hand = await post(buyer.key, "/api/v1/market/orders", {
        service_id: handoffId,
        input,
        rail: "vault-stripe",
      });
      const handed = await post(buyer.key, `/api/v1/market/orders/${hand.body.id}/payment-intent`);
      expect(handed.body.order).toMatchObject({
        status: "handoff",
        handoff: { url: "https://pay.example/checkout" },
      });
      expect(
        (
          await post(buyer.key, "/api/v1/market/orders", {
            service_id: serviceId,
            input,
            rail: "offchain-record",
          })
        ).body.code,
      ).toBe("PAYMENT_RAIL_UNSUPPORTED");
    });

    it("cancels and refunds a paid order nobody runs, and auto-confirms a delivered order after 72 h", async () => {
      const buyer = await agent("1");
      const idle = await paidOrder(buyer, "prepaid");
      const delivered = await paidOrder(buyer, "escrow");
      await post(buyer.key, `/api/v1/market/orders/${delivered.id}/execute`);
      const worker = createOutboxWorker({
        db: store.db,
        clock,
        logger: t.hub.ctx.logger,
        handlers: marketHandlers(t.hub.ctx),
      });
      clock.advance(25 * HOUR);
      await worker.drain();
      expect(
        (await t.call("GET", `/api/v1/market/orders/${idle.id}`, { key: buyer.key })).body,
      ).toMatchObject({ status: "cancelled", payment: { status: "refunded" } });
      expect(
        (await t.call("GET", `/api/v1/market/orders/${delivered.id}`, { key: buyer.key })).body
          .status,
      ).toBe("delivered");
      clock.advance(48 * HOUR);
      await worker.drain();
      expect(
        (await t.call("GET", `/api/v1/market/orders/${delivered.id}`, { key: buyer.key })).body,
      ).toMatchObject({ status: "confirmed", payment: { status: "released" } });
      expect(BigInt(await available(buyer.key))).toBe(1_000_000n - delivered.price);
    });

    it("recovers an order interrupted mid-execution: failed and refunded, exactly once", async () => {
      const buyer = await agent("1");
      const { id } = await paidOrder(buyer, "prepaid");
      await t.hub.ctx.db.transaction(async (tx) => {
        const order = await t.hub.ctx.orders.get(tx, id);
        await t.hub.ctx.purchases.beginExecution(tx, order, {
          id: buyer.id,
          reason: "then the process dies",
        });
      });
      clock.advance(61_000);
      const recovered = await t.hub.ctx.fulfilment.recoverStuck(clock.now_ms() - 60_000);
      expect(recovered).toBeGreaterThanOrEqual(1);
      expect(await t.hub.ctx.fulfilment.recoverStuck(clock.now_ms())).toBe(0);
      expect(
        (await t.call("GET", `/api/v1/market/orders/${id}`, { key: buyer.key })).body,
      ).toMatchObject({ status: "failed", payment: { status: "refunded" } });
      expect(await available(buyer.key)).toBe("1000000");
    });
  },
);
