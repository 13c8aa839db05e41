import { afterAll, beforeAll, expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { describeStores } from "../support/stores.ts";
import { available, ledgerFailures, type MarketHub, startMarketHub } from "./market-hub.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const start = Date.UTC(2026, 3, 1);

describeStores(
  "the P2P market over HTTP: listings, negotiation, escrow, disputes, reviews",
  (store) => {
    const clock = manualClock(start);
    let m: MarketHub;

    beforeAll(async () => {
      m = await startMarketHub({ database: store.db, clock, config: { hub_fee_bps: 1000 } });
    });
    afterAll(() => m.close());

    const listing = async (key: string, extra: Record<string, unknown> = {}) => {
      const res = await m.call("POST", "/api/market/listings", {
        key,
        body: {
          kind: "bounty",
          title: "Translate a manual",
          description: "Forty pages, English to German",
          category: "translation",
          tags: ["german"],
          price: { type: "fixed", amount: "10" },
          asset: "USDC",
          deadline: new Date(clock.now_ms() + 10 * DAY).toISOString(),
          ...extra,
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    };
    const negotiate = async (key: string, l: { id: string; kind: string }) =>
      m.call("POST", "/api/market/negotiations", {
        key,
        body: { sourceType: l.kind, sourceId: l.id },
      });
    const fire = (key: string, id: string, body: Record<string, unknown>, headers = {}) =>
      m.call("PATCH", `/api/market/orders/${id}`, { key, body, headers });
    const ok = async (key: string, id: string, body: Record<string, unknown>, status: string) => {
      const res = await fire(key, id, body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.order.status).toBe(status);
      expect(await ledgerFailures(m)).toEqual([]);
      return res.body;
    };
    /** A funded order on a fresh bounty: buyer and seller agreed, buyer funded. */
    async function fundedOrder(extra: Record<string, unknown> = {}) {
      const buyer = await m.agent("100");
      const seller = await m.agent();
      const l = await listing(buyer.key, extra);
      const order = (await negotiate(seller.key, l)).body.order;
      await ok(buyer.key, order.id, { event: "agree" }, "NEGOTIATING");
      await ok(seller.key, order.id, { event: "agree" }, "AWAITING_PAY");
      await ok(buyer.key, order.id, { event: "fund" }, "ESCROWED");
      return { buyer, seller, listing: l, id: order.id as string };
    }
    const proof = { text: "done", urls: ["https://files.example/manual-de.pdf"] };

    it("walks a bounty from post to a 70/30 resolution after three rejections, the ledger proven at every step", async () => {
      const buyer = await m.agent("100");
      const seller = await m.agent();
      const bounty = await listing(buyer.key);
      const feed = await m.call("GET", "/api/public/bounties?q=manual&category=translation");
      expect(feed.body.items.map((i: { id: string }) => i.id)).toContain(bounty.id);

      const opened = await negotiate(seller.key, bounty);
      expect(opened.status).toBe(201);
      expect(opened.body.order).toMatchObject({ status: "NEGOTIATING", buyerId: buyer.id });
      expect(opened.body.thread.orderId).toBe(opened.body.order.id);
      const id = opened.body.order.id as string;
      const again = await negotiate(seller.key, bounty);
      expect([again.status, again.body.order.id]).toEqual([200, id]);

      const proposed = await ok(
        seller.key,
        id,
        { event: "agree", terms: { price: "10" } },
        "NEGOTIATING",
      );
      expect(proposed.order.agreed).toEqual({ buyer: false, seller: true });
      const agreed = await ok(buyer.key, id, { event: "agree" }, "AWAITING_PAY");
      expect(agreed.order.fee.amount).toBe("1.000000");
      await ok(buyer.key, id, { event: "fund" }, "ESCROWED");
      expect(await available(m, buyer.key)).toBe(90_000_000n);
      await ok(seller.key, id, { event: "start" }, "DELIVERING");

      for (const round of [1, 2, 3]) {
        await ok(seller.key, id, { event: "submit_proof", proof }, "PROOF_SUBMITTED");
        await ok(buyer.key, id, { event: "start_review" }, "REVIEWING");
        const next = round < 3 ? "DELIVERING" : "DISPUTED";
        const rejected = await ok(
          buyer.key,
          id,
          { event: "reject", reason: `round ${round}` },
          next,
        );
        expect(rejected.order.rejections).toBe(round);
      }

      const thread = (await m.call("GET", `/api/market/orders/${id}`, { key: buyer.key })).body
        .threadId;
      for (const who of [buyer, seller]) {
        const posted = await m.call("POST", `/api/market/threads/${thread}/messages`, {
          key: who.key,
          body: {
            kind: "evidence",
            body: "see attached",
            attachments: [{ url: "https://e.example/1" }],
          },
        });
        expect(posted.status).toBe(201);
      }
      expect(
        (await fire(seller.key, id, { event: "resolve", sellerShareBps: 7000 })).body.code,
      ).toBe("MARKET_ROLE_FORBIDDEN");
      const resolved = await ok(
        m.hub.adminKey,
        id,
        { event: "resolve", sellerShareBps: 7000, reason: "partly done" },
        "RESOLVED",
      );
      expect(resolved.receipts).toHaveLength(1);

      expect(await available(m, buyer.key)).toBe(93_000_000n);
      expect(await available(m, seller.key)).toBe(6_300_000n);
      const detail = (await m.call("GET", `/api/market/orders/${id}`, { key: seller.key })).body;
      expect(detail.dispute.decision).toMatchObject({
        sellerShareBps: 7000,
        seller: { amount: "6.300000" },
        buyer: { amount: "3.000000" },
        fee: { amount: "0.700000" },
      });
      expect(detail.events.map((e: { to: string }) => e.to)).toEqual([
        "NEGOTIATING",
        "AWAITING_PAY",
        "ESCROWED",
        "DELIVERING",
        "PROOF_SUBMITTED",
        "REVIEWING",
        "DELIVERING",
        "PROOF_SUBMITTED",
        "REVIEWING",
        "DELIVERING",
        "PROOF_SUBMITTED",
        "REVIEWING",
        "DISPUTED",
        "RESOLVED",
      ]);
      expect(detail.receipts).toHaveLength(detail.events.length + 1);
      expect(await m.ctx.receipts.verifyChain(m.ctx.db.kysely, id)).toMatchObject({ ok: true });
      const evidence = await m.call("GET", `/api/market/threads/${thread}/messages?kind=evidence`, {
        key: m.hub.adminKey,
      });
      expect(evidence.body.items).toHaveLength(2);
    });

    it("applies a PATCH once per Idempotency-Key and answers a repeat with the state it left", async () => {
      const buyer = await m.agent("100");
      const seller = await m.agent();
      const l = await listing(buyer.key);
      const id = (await negotiate(seller.key, l)).body.order.id;
      await ok(buyer.key, id, { event: "agree" }, "NEGOTIATING");
      await ok(seller.key, id, { event: "agree" }, "AWAITING_PAY");
      const key = { "idempotency-key": "fund-once-1" };
      const first = await fire(buyer.key, id, { event: "fund" }, key);
      const repeat = await fire(buyer.key, id, { event: "fund" }, key);
      expect([first.status, repeat.status]).toEqual([200, 200]);
      expect(repeat.headers["idempotent-replayed"]).toBe("true");
      expect(repeat.body.order).toEqual(first.body.order);
      expect(await available(m, buyer.key)).toBe(90_000_000n);
      expect((await fire(buyer.key, id, { event: "fund" })).body.code).toBe(
        "MARKET_ALREADY_FUNDED",
      );
      // The order remembers the key too, beyond the HTTP layer's retention.
      const direct = await m.ctx.db.transaction(async (tx) =>
        m.ctx.marketFlows.fire(tx, await m.ctx.market.orders.get(tx, id), "fund", {
          id: buyer.id,
          roles: ["buyer"],
          reason: "retry",
          request_key: "fund-once-1",
        }),
      );
      expect(direct).toMatchObject({ replayed: true, receipts: [], order: { status: "ESCROWED" } });
    });

    it("refuses each bad move with its own code", async () => {
      const { buyer, seller, id, listing: l } = await fundedOrder();
      const stranger = await m.agent("100");
      const code = async (p: Promise<{ body: { code?: string } }>) => (await p).body.code;
      expect(await code(fire(buyer.key, id, { event: "start" }))).toBe("MARKET_ROLE_FORBIDDEN");
      expect(await code(fire(buyer.key, id, { event: "accept" }))).toBe(
        "MARKET_TRANSITION_FORBIDDEN",
      );
      expect(await code(fire(buyer.key, id, { event: "fund" }))).toBe("MARKET_ALREADY_FUNDED");
      expect(await code(fire(stranger.key, id, { event: "cancel" }))).toBe(
        "MARKET_ORDER_NOT_FOUND",
      );
      expect(await code(fire(buyer.key, id, { event: "start", reason: "x" }))).toBe(
        "MARKET_EVENT_INVALID",
      );
      expect(await code(fire(buyer.key, id, { event: "fund", amount: "1" }))).toBe(
        "VALIDATION_FAILED",
      );
      expect(await code(negotiate(buyer.key, l))).toBe("MARKET_LISTING_CLOSED");
      const own = await listing(stranger.key);
      expect(await code(negotiate(stranger.key, own))).toBe("MARKET_SELF_DEAL");
      const thread = (await m.call("GET", `/api/market/orders/${id}`, { key: seller.key })).body
        .threadId;
      const post = (key: string, body: Record<string, unknown>) =>
        m.call("POST", `/api/market/threads/${thread}/messages`, { key, body });
      expect(await code(post(stranger.key, { body: "hello" }))).toBe("MARKET_THREAD_NOT_FOUND");
      expect(await code(post(buyer.key, { body: "proof", kind: "evidence" }))).toBe(
        "MARKET_EVIDENCE_CLOSED",
      );
      expect((await post(seller.key, { body: "starting tomorrow" })).status).toBe(201);

      await ok(seller.key, id, { event: "start" }, "DELIVERING");
      await ok(seller.key, id, { event: "submit_proof", proof }, "PROOF_SUBMITTED");
      await ok(buyer.key, id, { event: "start_review" }, "REVIEWING");
      expect(await code(fire(seller.key, id, { event: "accept" }))).toBe("MARKET_ROLE_FORBIDDEN");
      const review = (key: string) =>
        m.call("POST", `/api/market/orders/${id}/reviews`, {
          key,
          body: { rating: 5, text: "great" },
        });
      expect(await code(review(buyer.key))).toBe("MARKET_REVIEW_NOT_ALLOWED");
      await ok(buyer.key, id, { event: "accept" }, "COMPLETED");
      expect(await available(m, seller.key)).toBe(9_000_000n);
      expect(await code(fire(buyer.key, id, { event: "dispute", reason: "late regret" }))).toBe(
        "MARKET_DISPUTE_WINDOW_CLOSED",
      );
      expect((await review(buyer.key)).status).toBe(201);
      expect(await code(review(buyer.key))).toBe("MARKET_REVIEW_EXISTS");
      expect(await code(review(stranger.key))).toBe("MARKET_ORDER_NOT_FOUND");
      const page = await m.call("GET", `/api/public/principals/${seller.id}`);
      expect(page.body.reputation).toMatchObject({ reviews: 1, ratingMean: 5, completed: 1 });
      expect(page.body.reviews[0]).toMatchObject({ rating: 5, authorId: buyer.id });

      const poor = await m.agent("1");
      const other = await listing(stranger.key, { kind: "service" });
      const o = (await negotiate(poor.key, other)).body.order.id;
      await ok(poor.key, o, { event: "agree" }, "NEGOTIATING");
      await ok(stranger.key, o, { event: "agree" }, "AWAITING_PAY");
      expect(await code(fire(poor.key, o, { event: "fund" }))).toBe("LEDGER_INSUFFICIENT_FUNDS");
      expect(await ledgerFailures(m)).toEqual([]);
    });

    it("cancels the competing negotiations when one order on a bounty is funded, and tells their sellers", async () => {
      const buyer = await m.agent("100");
      const sellers = [await m.agent(), await m.agent(), await m.agent()];
      const bounty = await listing(buyer.key, { title: "Competition" });
      const ids: string[] = [];
      for (const s of sellers) ids.push((await negotiate(s.key, bounty)).body.order.id);
      const [winner = "", ...losers] = ids;
      await ok(buyer.key, winner, { event: "agree" }, "NEGOTIATING");
      await ok((sellers[0] as { key: string }).key, winner, { event: "agree" }, "AWAITING_PAY");
      await ok(buyer.key, winner, { event: "fund" }, "ESCROWED");
      for (const [i, id] of losers.entries()) {
        const key = (sellers[i + 1] as { key: string }).key;
        const order = (await m.call("GET", `/api/market/orders/${id}`, { key })).body;
        expect(order.status).toBe("CANCELLED");
        expect(order.events.at(-1)).toMatchObject({ role: "system", event: "cancel" });
        const lines = await m.call("GET", `/api/market/threads/${order.threadId}/messages`, {
          key,
        });
        expect(lines.body.items.at(-1).body).toContain(`order ${winner}`);
      }
      const l = (await m.call("GET", `/api/market/listings/${bounty.id}`, { key: buyer.key })).body;
      expect(l.status).toBe("awarded");
      const late = await m.agent();
      expect((await negotiate(late.key, bounty)).body.code).toBe("MARKET_LISTING_CLOSED");
    });

    it("auto-advances a silent buyer: review opens after 72 h and the order completes 72 h later", async () => {
      const { buyer, seller, id } = await fundedOrder();
      await ok(seller.key, id, { event: "start" }, "DELIVERING");
      await ok(seller.key, id, { event: "submit_proof", proof }, "PROOF_SUBMITTED");
      const status = async () =>
        (await m.call("GET", `/api/market/orders/${id}`, { key: buyer.key })).body.status;
      clock.advance(71 * HOUR);
      await m.worker.drain();
      expect(await status()).toBe("PROOF_SUBMITTED");
      clock.advance(2 * HOUR);
      await m.worker.drain();
      expect(await status()).toBe("REVIEWING");
      clock.advance(72 * HOUR);
      await m.worker.drain();
      expect(await status()).toBe("COMPLETED");
      expect(await available(m, seller.key)).toBe(9_000_000n);
      expect(await ledgerFailures(m)).toEqual([]);
    });

    it("never fires a rejected round's timer: the new round waits its own 72 h", async () => {
      const { buyer, seller, id } = await fundedOrder();
      await ok(seller.key, id, { event: "start" }, "DELIVERING");
      await ok(seller.key, id, { event: "submit_proof", proof }, "PROOF_SUBMITTED");
      await ok(buyer.key, id, { event: "start_review" }, "REVIEWING");
      clock.advance(70 * HOUR);
      await ok(buyer.key, id, { event: "reject", reason: "missing chapter" }, "DELIVERING");
      await ok(seller.key, id, { event: "submit_proof", proof }, "PROOF_SUBMITTED");
      await ok(buyer.key, id, { event: "start_review" }, "REVIEWING");
      clock.advance(10 * HOUR);
      await m.worker.drain();
      const order = (await m.call("GET", `/api/market/orders/${id}`, { key: buyer.key })).body;
      expect([order.status, order.round]).toEqual(["REVIEWING", 2]);
    });

    it("lets the buyer cancel for a refund only once the delivery deadline has passed", async () => {
      const { buyer, seller, id } = await fundedOrder({
        deadline: new Date(clock.now_ms() + 2 * DAY).toISOString(),
      });
      await ok(seller.key, id, { event: "start" }, "DELIVERING");
      expect((await fire(buyer.key, id, { event: "cancel" })).body.code).toBe(
        "MARKET_DELIVERY_NOT_OVERDUE",
      );
      clock.advance(2 * DAY + HOUR);
      await m.worker.drain();
      const thread = (await m.call("GET", `/api/market/orders/${id}`, { key: buyer.key })).body
        .threadId;
      const lines = await m.call("GET", `/api/market/threads/${thread}/messages?kind=system`, {
        key: buyer.key,
      });
      expect(lines.body.items.at(-1).body).toContain("the buyer may cancel");
      await ok(buyer.key, id, { event: "cancel", reason: "too late" }, "REFUNDED");
      expect(await available(m, buyer.key)).toBe(100_000_000n);
    });

    it("filters, searches and pages the public feeds; closing a listing cancels its negotiations", async () => {
      const owner = await m.agent();
      const tag = `t${Math.random().toString(36).slice(2, 8)}`;
      const made: string[] = [];
      for (const [i, amount] of ["5", "15", "25"].entries()) {
        const l = await listing(owner.key, {
          kind: "service",
          title: `Zebra audit ${i}`,
          description: "Careful security audit of smart contracts",
          category: "audits",
          tags: [tag],
          price: { type: "fixed", amount },
        });
        made.push(l.id);
      }
      const feed = (qs: string) => m.call("GET", `/api/public/services?tag=${tag}&${qs}`);
      const ids = (r: { body: { items: { id: string }[] } }) => r.body.items.map((i) => i.id);
      expect(ids(await feed(""))).toEqual([...made].reverse());
      expect(ids(await feed("asset=USDC&priceMin=10&priceMax=20"))).toEqual([made[1]]);
      expect((await feed("priceMin=10")).body.code).toBe("VALIDATION_FAILED");
      expect(ids(await feed("q=zebra%20secur"))).toHaveLength(3);
      expect(ids(await feed("q=giraffe"))).toEqual([]);
      const first = await feed("limit=2");
      expect(ids(first)).toHaveLength(2);
      expect(ids(await feed(`limit=2&cursor=${first.body.nextCursor}`))).toEqual([made[0]]);
      expect(ids(await m.call("GET", `/api/public/bounties?tag=${tag}`))).toEqual([]);
      expect((await feed("")).body.items[0].ownerReputation).toMatchObject({ score: 0.55 });

      const buyer = await m.agent();
      const order = (await negotiate(buyer.key, { id: made[0] as string, kind: "service" })).body
        .order;
      const stranger = await m.agent();
      const edit = (key: string, body: unknown) =>
        m.call("PATCH", `/api/market/listings/${made[0]}`, { key, body });
      expect((await edit(stranger.key, { title: "mine" })).body.code).toBe(
        "MARKET_NOT_LISTING_OWNER",
      );
      expect((await edit(owner.key, { title: "Zebra audit, updated" })).body.title).toBe(
        "Zebra audit, updated",
      );
      expect((await edit(owner.key, { status: "closed" })).body.status).toBe("closed");
      const after = await m.call("GET", `/api/market/orders/${order.id}`, { key: buyer.key });
      expect(after.body.status).toBe("CANCELLED");
      expect(ids(await feed(""))).toEqual([made[2], made[1]]);
      expect(ids(await feed("status=closed"))).toEqual([made[0]]);
    });
  },
);
