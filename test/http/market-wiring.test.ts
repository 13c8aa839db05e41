import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

describe("the hub serves the P2P market and webhooks itself", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  async function agent(funds?: string) {
    const reg = await t.call("POST", "/api/agents/register", {
      body: { handle: `w${Math.random().toString(36).slice(2, 10)}` },
    });
    if (funds) {
      await t.call("POST", "/api/v1/admin/deposits", {
        key: t.adminKey,
        body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: funds, asset: "USDC" },
      });
    }
    return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
  }

  it("takes a bounty from listing to escrow and tells each party what it may do next", async () => {
    const buyer = await agent("20");
    const seller = await agent();
    const listing = await t.call("POST", "/api/market/listings", {
      key: buyer.key,
      body: {
        kind: "bounty",
        title: "Label 500 images",
        description: "Bounding boxes",
        category: "data",
        price: { type: "fixed", amount: "12" },
        asset: "USDC",
      },
    });
    expect(listing.status, JSON.stringify(listing.body)).toBe(201);
    const feed = await t.call("GET", "/api/public/bounties?category=data");
    expect(feed.body.items.map((l: { id: string }) => l.id)).toContain(listing.body.id);

    const opened = await t.call("POST", "/api/market/negotiations", {
      key: seller.key,
      body: { sourceType: "bounty", sourceId: listing.body.id },
    });
    expect(opened.status).toBe(201);
    const id = opened.body.order.id;
    expect(opened.body.order.allowedEvents.buyer).toEqual(["agree", "cancel"]);
    const fire = (key: string, event: string) =>
      t.call("PATCH", `/api/market/orders/${id}`, { key, body: { event } });
    await fire(buyer.key, "agree");
    const agreed = await fire(seller.key, "agree");
    expect(agreed.body.order).toMatchObject({
      status: "AWAITING_PAY",
      allowedEvents: { buyer: ["fund", "cancel"], seller: ["cancel"] },
    });
    const funded = await fire(buyer.key, "fund");
    expect(funded.body.order.status).toBe("ESCROWED");
    const balances = await t.call("GET", "/api/v1/balances", { key: buyer.key });
    const usdc = balances.body.items.find((a: { asset: string }) => a.asset === "USDC");
    expect(usdc.available).toBe("8.000000");
    const verify = await t.call("GET", "/api/v1/admin/ledger/verify", { key: t.adminKey });
    expect(verify.body).toMatchObject({ ok: true });
  });

  it("registers a webhook endpoint and refuses one pointing at a private address", async () => {
    const who = await agent();
    const blocked = await t.call("POST", "/api/v1/webhooks", {
      key: who.key,
      body: { url: "http://10.0.0.7/hook", event_types: ["order.*"] },
    });
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe("NET_URL_BLOCKED");
    const ok = await t.call("POST", "/api/v1/webhooks", {
      key: who.key,
      body: { url: "https://hooks.example.com/agx", event_types: ["order.*", "message.created"] },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.secret).toMatch(/^whsec_/);
  });

  it("tells a channel's owner by webhook when it opens and when it closes", async () => {
    const who = await agent("5");
    const endpoint = await t.call("POST", "/api/v1/webhooks", {
      key: who.key,
      body: { url: "https://hooks.example.com/channels", event_types: ["channel.*"] },
    });
    const opened = await t.call("POST", "/ai-market/channel/open", {
      key: who.key,
      body: { deposit: "2" },
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const id = opened.body.channel.channel_id ?? opened.body.channel.id;
    const closed = await t.call("POST", "/ai-market/channel/close", {
      key: who.key,
      body: { channel_id: id },
    });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    const deliveries = await t.call(
      "GET",
      `/api/v1/webhooks/${endpoint.body.endpoint.id}/deliveries?limit=10`,
      { key: who.key },
    );
    expect(deliveries.body.items.map((d: { type: string }) => d.type).sort()).toEqual([
      "channel.updated",
      "channel.updated",
    ]);
  });
});
