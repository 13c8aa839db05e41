import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgxClient, AgxNetworkError, AgxProblem, verifyReceiptJws } from "../../src/sdk/index.ts";
import { availableMinor, type ListeningHub, STATS, startListeningHub } from "./support.ts";

describe("AgxClient against a hub listening on 127.0.0.1", () => {
  let h: ListeningHub;
  beforeAll(async () => {
    h = await startListeningHub();
  });
  afterAll(async () => {
    await h.close();
  });

  it("registers an agent, reads who it is and its balances", async () => {
    const a = await h.agent("2");
    const me = await a.client.me();
    expect(me.principal.id).toBe(a.id);
    expect(await availableMinor(a.client)).toBe(2_000_000n);
  });

  it("searches the catalogue and gets ranked quotes priced for the input", async () => {
    const a = await h.agent();
    const found = await a.client.search({ query: "word count", input: { text: "a b c" } });
    expect(found.status).toBe("ok");
    const stats = found.quotes.find((q) => q.service.name === STATS.product);
    expect(stats?.quote?.price.asset).toBe("USDC");
    const quote = await a.client.quote({
      service_id: stats?.service.id ?? "",
      input: { text: "a b c" },
    });
    expect(quote.price.amount_minor).toBe(stats?.quote?.price.amount_minor);
  });

  it("invokes a capability from the balance and every receipt verifies offline with jose", async () => {
    const a = await h.agent("1");
    const out = await a.client.invoke<{ words: number }>(STATS.product, STATS.capability, {
      text: "Agents trade skills. Machines pay.",
    });
    expect(out.success).toBe(true);
    expect(out.result.words).toBe(5);
    expect(out.peac_receipt?.split(".")).toHaveLength(3);
    expect(await a.client.verifyReceipt(out.peac_receipt ?? "")).toMatchObject({ valid: true });
    const order = await a.client.getOrder(out.order_id);
    expect(order.status).toBe("confirmed");
    expect(order.receipts.map((r) => r.kind)).toEqual(["quote", "payment", "result", "settlement"]);
    for (const r of order.receipts) {
      expect((await a.client.verifyReceipt(r.jws)).valid, r.kind).toBe(true);
    }
    expect(await availableMinor(a.client)).toBe(1_000_000n - BigInt(order.price.amount_minor));
  });

  it("refuses a receipt whose payload was altered, or signed by a key the hub never published", async () => {
    const a = await h.agent("1");
    const out = await a.client.invoke(STATS.product, STATS.capability, { text: "x y" });
    const [head, payload, sig] = (out.peac_receipt ?? "").split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, amount: "999" })).toString("base64url");
    expect(await a.client.verifyReceipt(`${head}.${forged}.${sig}`)).toMatchObject({
      valid: false,
      code: "RECEIPT_SIGNATURE_INVALID",
    });
    expect(await verifyReceiptJws(out.peac_receipt ?? "", { keys: [] })).toMatchObject({
      valid: false,
      code: "RECEIPT_KID_UNKNOWN",
    });
  });

  it("surfaces an unpaid invoke as a 402 AgxProblem carrying the payment requirements", async () => {
    const anonymous = new AgxClient({ url: h.url });
    const error = await anonymous
      .invoke(STATS.product, STATS.capability, { text: "hello" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgxProblem);
    const p = error as AgxProblem;
    expect(p).toMatchObject({ status: 402, code: "PAYMENT_REQUIRED", title: expect.any(String) });
    expect(p.payment).toMatchObject({ token: "USDC", chain: "agx-ledger" });
    expect(p.payment?.nonce).toMatch(/^pay_/);
    expect(p.payment?.rails.map((r) => r.rail)).toEqual(["prepaid", "channel"]);
  });

  it("surfaces a refused body as an AgxProblem with its field errors", async () => {
    const a = await h.agent();
    const error = await a.client
      .openChannel({ deposit: "not money" })
      .catch((e: unknown) => e as AgxProblem);
    expect(error).toBeInstanceOf(AgxProblem);
    expect(error).toMatchObject({ status: 400, type: expect.any(String) });
    expect((error as AgxProblem).errors.length).toBeGreaterThan(0);
  });

  it("sends an Idempotency-Key on every state-changing call, so a retry with it pays once", async () => {
    const a = await h.agent("1");
    const sent: string[] = [];
    const spy = new AgxClient({
      url: h.url,
      apiKey: a.key,
      fetch: (input, init) => {
        const headers = new Headers(init?.headers);
        if (init?.method !== "GET") sent.push(headers.get("idempotency-key") ?? "");
        return fetch(input, init);
      },
    });
    const first = await spy.invoke(
      STATS.product,
      STATS.capability,
      { text: "one" },
      {
        idempotencyKey: "retry-me",
      },
    );
    const before = await availableMinor(a.client);
    const again = await spy.invoke(
      STATS.product,
      STATS.capability,
      { text: "one" },
      {
        idempotencyKey: "retry-me",
      },
    );
    expect(again.order_id).toBe(first.order_id);
    expect(await availableMinor(a.client)).toBe(before);
    await spy.invoke(STATS.product, STATS.capability, { text: "two" });
    expect(sent).toHaveLength(3);
    expect(sent[2]).toMatch(/^idem_[0-9a-f-]{36}$/);
  });

  it("pays calls from a channel and refunds the rest when it closes", async () => {
    const a = await h.agent("1");
    const { channel } = await a.client.openChannel({ deposit: "0.5" });
    expect(channel.channel_id).toMatch(/^ch_/);
    const out = await a.client.invoke(
      STATS.product,
      STATS.capability,
      { text: "a b" },
      {
        channelId: channel.channel_id,
      },
    );
    const price = BigInt((await a.client.getOrder(out.order_id)).price.amount_minor);
    const { settlement } = await a.client.closeChannel(channel.channel_id);
    expect(settlement.channel_id).toBe(channel.channel_id);
    expect(await availableMinor(a.client)).toBe(1_000_000n - price);
  });

  it("buys through an order: quote, order, payment intent, payment, then reads it back", async () => {
    const a = await h.agent("1");
    const input = { text: "order me" };
    const found = await a.client.search({ query: "text statistics", input });
    const service = found.quotes.find((q) => q.service.name === STATS.product);
    const quote = await a.client.quote({ service_id: service?.service.id ?? "", input });
    const order = await a.client.createOrder({ quote_id: quote.id, input, rail: "prepaid" });
    const intent = await a.client.createPaymentIntent(order.id);
    expect(intent.order.status).toBe("payment_pending");
    const paid = await a.client.pay(order.id);
    expect(paid.order).toMatchObject({ status: "ready", payment: { status: "held" } });
    expect((await a.client.getOrder(order.id)).id).toBe(order.id);
    const listed = [];
    for await (const o of a.client.allOrders()) listed.push(o.id);
    expect(listed).toContain(order.id);
  });

  it("submits a pipeline and reads its job", async () => {
    const a = await h.agent("1");
    const run = await a.client.runPipeline({
      budget: "0.1",
      nodes: [
        {
          id: "s",
          product_id: STATS.product,
          capability_id: STATS.capability,
          input: { text: "a b c" },
        },
      ],
    });
    expect(run.status).toBe(200);
    const job = await a.client.job(String(run.body.job_id));
    expect(job.status).toBe("succeeded");
  });

  it("subscribes a webhook and posts a market listing", async () => {
    const a = await h.agent();
    const hook = await a.client.subscribeWebhook({
      url: "https://hooks.example/agx",
      event_types: ["order.*"],
    });
    expect(hook.endpoint.event_types).toEqual(["order.*"]);
    expect((await a.client.webhooks()).items.map((w) => w.id)).toContain(hook.endpoint.id);
    const listing = await a.client.createListing({
      kind: "bounty",
      title: "Count words",
      description: "In a short text",
      category: "text",
      price: { type: "fixed", amount: "1" },
      asset: "USDC",
    });
    expect((await a.client.myListings()).items.map((l) => l.id)).toContain(listing.id);
  });

  it("throws AgxNetworkError, not a problem, when the hub is down", async () => {
    const down = new AgxClient({ url: "http://127.0.0.1:9", timeout_ms: 2_000 });
    await expect(down.me()).rejects.toBeInstanceOf(AgxNetworkError);
  });
});
