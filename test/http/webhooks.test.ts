import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { describeStores } from "../support/stores.ts";
import { type MarketHub, startMarketHub } from "./market-hub.ts";

const HOUR = 3_600_000;

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
  /** The hub's side of the connection (the same port: a kept-alive connection reused). */
  port: number;
}

/**
 * A real receiver: verifies each call with the standardwebhooks package and answers by path.
 * `/flaky/*` fails every other call (each webhook-id's first, third… call), `/ok/*` never
 * fails; `/gone` says 410; `/down` says 503 with Retry-After;
 * `/slow` answers after the hub gave up; `/big` answers with more than the hub reads.
 */
class Receiver {
  server: Server;
  origin = "";
  secrets = new Map<string, string>();
  seen: Seen[] = [];
  /** webhook-ids accepted (2xx after a verified signature), in order, duplicates kept. */
  accepted: string[] = [];
  /** Calls per webhook-id to the flaky paths. */
  calls = new Map<string, number>();
  downFixed = false;

  constructor() {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        const path = req.url ?? "/";
        const status = this.answer(path, req.headers, body);
        this.seen.push({
          path,
          headers: req.headers,
          body,
          status,
          port: req.socket.remotePort ?? 0,
        });
        if (path === "/slow") return void setTimeout(() => res.writeHead(200).end(), 4_000);
        if (path === "/big") return void res.writeHead(200).end("x".repeat(200_000));
        const headers = path === "/down" ? { "retry-after": "7200" } : {};
        res.writeHead(status, headers).end(status < 300 ? "ok" : "no");
      });
    });
  }

  answer(path: string, headers: IncomingHttpHeaders, body: string): number {
    const secret = this.secrets.get(path);
    if (!secret) return 404;
    try {
      new Webhook(secret).verify(body, headers as Record<string, string>);
    } catch {
      return 401;
    }
    if (path === "/gone") return 410;
    if (path === "/down") return this.downFixed ? 204 : 503;
    const id = String(headers["webhook-id"]);
    if (path.startsWith("/flaky")) {
      const n = this.calls.get(id) ?? 0;
      this.calls.set(id, n + 1);
      if (n % 2 === 0) return 500;
    }
    this.accepted.push(id);
    return 200;
  }

  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

describeStores("signed webhooks over HTTP: Standard Webhooks, retries, dead letters", (store) => {
  const clock = manualClock(Date.UTC(2026, 5, 1));
  const rx = new Receiver();
  let m: MarketHub;

  beforeAll(async () => {
    await rx.start();
    m = await startMarketHub({
      database: store.db,
      clock,
      // Long enough that a loaded machine never times out a receiver that answered (a timeout is
      // a redelivery, legitimately, and would read as a duplicate here); /slow outlasts it.
      market: { webhook_timeout_ms: 2_000 },
    });
  });
  afterAll(async () => {
    await m.close();
    rx.close();
  });

  async function subscribe(key: string, path: string, event_types: string[] = ["*"]) {
    const res = await m.call("POST", "/api/v1/webhooks", {
      key,
      body: { url: `${rx.origin}${path}`, event_types },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    rx.secrets.set(path, res.body.secret);
    return res.body.endpoint.id as string;
  }
  const deliveries = async (key: string, endpoint: string, qs = "") =>
    (await m.call("GET", `/api/v1/webhooks/${endpoint}/deliveries?limit=200${qs}`, { key })).body
      .items as {
      id: string;
      status: string;
      message_id: string;
      attempts: number;
      generation: number;
    }[];
  /** Runs the outbox until nothing is pending, moving the clock past every retry wait. */
  async function settle(rounds = 12) {
    for (let i = 0; i < rounds; i++) {
      await m.worker.drain();
      clock.advance(14 * HOUR);
    }
    await m.worker.drain();
  }
  /** A negotiation between two fresh agents and a few messages: events for both sides. */
  async function chatter(messages: number) {
    const buyer = await m.agent("50");
    const seller = await m.agent();
    const bounty = await m.call("POST", "/api/market/listings", {
      key: buyer.key,
      body: {
        kind: "bounty",
        title: "Label images",
        description: "500 images",
        category: "data",
        price: { type: "fixed", amount: "5" },
        asset: "USDC",
      },
    });
    const opened = await m.call("POST", "/api/market/negotiations", {
      key: seller.key,
      body: { sourceType: "bounty", sourceId: bounty.body.id },
    });
    const thread = opened.body.thread.id;
    for (let i = 0; i < messages; i++) {
      const who = i % 2 === 0 ? buyer : seller;
      await m.call("POST", `/api/market/threads/${thread}/messages`, {
        key: who.key,
        body: { body: `message ${i}` },
      });
    }
    return { buyer, seller, order: opened.body.order.id as string, thread };
  }

  it("delivers every event exactly once as far as a receiver failing half its calls can tell", async () => {
    const buyer = await m.agent("50");
    const seller = await m.agent();
    const be = await subscribe(buyer.key, "/flaky/buyer");
    const se = await subscribe(seller.key, "/flaky/seller", [
      "order.*",
      "payment.*",
      "message.created",
    ]);
    const bounty = await m.call("POST", "/api/market/listings", {
      key: buyer.key,
      body: {
        kind: "bounty",
        title: "Summarise papers",
        description: "Ten papers",
        category: "writing",
        price: { type: "fixed", amount: "5" },
        asset: "USDC",
      },
    });
    const opened = await m.call("POST", "/api/market/negotiations", {
      key: seller.key,
      body: { sourceType: "bounty", sourceId: bounty.body.id, message: "I can do it" },
    });
    const id = opened.body.order.id;
    await m.call("POST", `/api/market/threads/${opened.body.thread.id}/messages`, {
      key: buyer.key,
      body: { body: "Deal if you finish by Friday" },
    });
    const fire = (key: string, body: Record<string, unknown>) =>
      m.call("PATCH", `/api/market/orders/${id}`, { key, body });
    await fire(buyer.key, { event: "agree" });
    await fire(seller.key, { event: "agree" });
    await fire(buyer.key, { event: "fund" });
    await fire(seller.key, { event: "start" });
    await fire(seller.key, { event: "submit_proof", proof: { text: "summaries attached" } });
    await fire(buyer.key, { event: "start_review" });
    expect((await fire(buyer.key, { event: "accept" })).body.order.status).toBe("COMPLETED");

    await settle();
    const all = [...(await deliveries(buyer.key, be)), ...(await deliveries(seller.key, se))];
    expect(all.length).toBeGreaterThan(15);
    expect(all.every((d) => d.status === "succeeded")).toBe(true);
    const ids = all.map((d) => d.message_id);
    expect(new Set(rx.accepted.filter((a) => ids.includes(a)))).toEqual(new Set(ids));
    expect(rx.accepted.filter((a) => ids.includes(a))).toHaveLength(ids.length);
    expect(all.some((d) => d.attempts > 1)).toBe(true);
    const types = rx.seen
      .filter((s) => s.path === "/flaky/seller" && s.status === 200)
      .map((s) => JSON.parse(s.body).type as string);
    expect(new Set(types)).toEqual(
      new Set(["order.updated", "payment.escrowed", "payment.released", "message.created"]),
    );
    expect(rx.seen.every((s) => s.status !== 401)).toBe(true);
  });

  it("sends the same webhook-id again when a crash lost the record of a success", async () => {
    const c = await chatter(0);
    const endpoint = await subscribe(c.seller.key, "/ok/again");
    await m.call("POST", `/api/market/threads/${c.thread}/messages`, {
      key: c.buyer.key,
      body: { body: "ping" },
    });
    const [d] = await deliveries(c.seller.key, endpoint);
    const ref = { delivery_id: d?.id ?? "", generation: 1, attempt: 1 };
    const job = await m.ctx.webhooks.job(m.ctx.db.kysely, ref);
    if (!job) throw new Error("the first attempt is due");
    expect((await m.ctx.webhooks.send(job)).status_code).toBe(200); // …and the hub dies here
    await m.worker.drain();
    expect(rx.accepted.filter((a) => a === job.message.id)).toHaveLength(2);
    expect(new Set(rx.accepted).has(job.message.id)).toBe(true);
    expect((await deliveries(c.seller.key, endpoint))[0]).toMatchObject({
      status: "succeeded",
      attempts: 1,
    });
  });

  it("reuses one kept-alive connection for consecutive deliveries to a receiver", async () => {
    const c = await chatter(0);
    await subscribe(c.seller.key, "/ok/alive", ["message.created"]);
    for (const text of ["one", "two", "three"]) {
      await m.call("POST", `/api/market/threads/${c.thread}/messages`, {
        key: c.buyer.key,
        body: { body: text },
      });
      await m.worker.drain();
    }
    const calls = rx.seen.filter((s) => s.path === "/ok/alive");
    expect(calls.map((s) => s.status)).toEqual([200, 200, 200]);
    expect(new Set(calls.map((s) => s.port)).size).toBe(1);
  });

  it("disables an endpoint that answers 410 Gone; re-enabled, its failed deliveries go again", async () => {
    const c = await chatter(0);
    const endpoint = await subscribe(c.seller.key, "/gone", ["message.created"]);
    for (const text of ["one", "two"])
      await m.call("POST", `/api/market/threads/${c.thread}/messages`, {
        key: c.buyer.key,
        body: { body: text },
      });
    await settle(2);
    const ep = (await m.call("GET", `/api/v1/webhooks/${endpoint}`, { key: c.seller.key })).body;
    expect(ep).toMatchObject({ status: "disabled", disabled_reason: "410 Gone from the receiver" });
    const dead = await deliveries(c.seller.key, endpoint, "&status=dead");
    expect(dead).toHaveLength(2);
    expect(rx.seen.filter((s) => s.path === "/gone").length).toBeLessThanOrEqual(2);
    const redo = `/api/v1/webhooks/${endpoint}/redeliver`;
    expect((await m.call("POST", redo, { key: c.seller.key })).body.code).toBe(
      "WEBHOOK_ENDPOINT_DISABLED",
    );
    await m.call("PATCH", `/api/v1/webhooks/${endpoint}`, {
      key: c.seller.key,
      body: { url: `${rx.origin}/flaky/back`, enabled: true },
    });
    rx.secrets.set("/flaky/back", rx.secrets.get("/gone") as string);
    expect((await m.call("POST", redo, { key: c.seller.key })).body).toEqual({ redelivered: 2 });
    await settle(3);
    const back = await deliveries(c.seller.key, endpoint);
    expect(back.map((d) => [d.status, d.generation])).toEqual([
      ["succeeded", 2],
      ["succeeded", 2],
    ]);
  });

  it("honours Retry-After, dead-letters after six attempts, and redelivers one on request", async () => {
    const c = await chatter(0);
    const endpoint = await subscribe(c.seller.key, "/down", ["message.created"]);
    rx.downFixed = false;
    await m.call("POST", `/api/market/threads/${c.thread}/messages`, {
      key: c.buyer.key,
      body: { body: "are you there" },
    });
    const sent = clock.now_ms();
    await m.worker.drain();
    const [first] = await deliveries(c.seller.key, endpoint);
    expect(first).toMatchObject({ status: "pending", attempts: 1, last_status_code: 503 });
    const next = Date.parse((first as unknown as { next_attempt_at: string }).next_attempt_at);
    expect(next - sent).toBeGreaterThanOrEqual(2 * HOUR);
    await settle(8);
    const [dead] = (
      await m.call("GET", `/api/v1/webhooks/${endpoint}/deliveries?status=dead`, {
        key: c.seller.key,
      })
    ).body.items;
    expect(dead).toMatchObject({ status: "dead", attempts: 6 });
    expect(dead.attempts_list.map((a: { status_code: number }) => a.status_code)).toEqual(
      Array(6).fill(503),
    );
    rx.downFixed = true;
    const again = await m.call(
      "POST",
      `/api/v1/webhooks/${endpoint}/deliveries/${dead.id}/redeliver`,
      { key: c.seller.key },
    );
    expect(again.status).toBe(202);
    expect(
      (
        await m.call("POST", `/api/v1/webhooks/${endpoint}/deliveries/${dead.id}/redeliver`, {
          key: c.seller.key,
        })
      ).body.code,
    ).toBe("WEBHOOK_DELIVERY_PENDING");
    await m.worker.drain();
    expect((await deliveries(c.seller.key, endpoint))[0]).toMatchObject({
      status: "succeeded",
      generation: 2,
      message_id: dead.message_id,
    });
  });

  it("gives up on a slow receiver and an oversized answer without holding up another endpoint", async () => {
    const c = await chatter(0);
    const slow = await subscribe(c.seller.key, "/slow", ["message.created"]);
    const big = await subscribe(c.seller.key, "/big", ["message.created"]);
    const fine = await subscribe(c.seller.key, "/ok/fine", ["message.created"]);
    await m.call("POST", `/api/market/threads/${c.thread}/messages`, {
      key: c.buyer.key,
      body: { body: "hello all" },
    });
    await m.worker.drain();
    const last = async (e: string) =>
      (await m.call("GET", `/api/v1/webhooks/${e}/deliveries`, { key: c.seller.key })).body
        .items[0];
    expect(await last(fine)).toMatchObject({ status: "succeeded" });
    expect((await last(slow)).last_error).toMatch(/^NET_FETCH_TIMEOUT/);
    expect((await last(big)).last_error).toMatch(/^NET_RESPONSE_TOO_LARGE/);
    expect((await last(slow)).status).toBe("pending");
  });

  it("refuses private, metadata and plain-http URLs and unknown event types", async () => {
    const a = await m.agent();
    const code = async (url: string, types = ["*"]) =>
      (await m.call("POST", "/api/v1/webhooks", { key: a.key, body: { url, event_types: types } }))
        .body.code;
    for (const url of [
      "https://10.0.0.7/hook",
      "https://192.168.1.20/hook",
      "http://169.254.169.254/latest/meta-data",
      "https://[::1]/hook",
      "http://hooks.example.com/plain",
    ])
      expect(await code(url), url).toBe("NET_URL_BLOCKED");
    expect(await code("https://hooks.example.com/x", ["order.nope"])).toBe(
      "WEBHOOK_EVENT_TYPE_UNKNOWN",
    );
    expect(
      await code("https://hooks.example.com/x", ["order.*", "review.created"]),
    ).toBeUndefined();
  });

  it("signs with the old and the new secret during a rotation's overlap, then with the new only", async () => {
    const c = await chatter(0);
    const endpoint = await subscribe(c.seller.key, "/ok/rotate", ["message.created"]);
    const old = rx.secrets.get("/ok/rotate") as string;
    const rotated = await m.call("POST", `/api/v1/webhooks/${endpoint}/rotate-secret`, {
      key: c.seller.key,
      body: { overlap_seconds: 3600 },
    });
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(old);
    rx.secrets.set("/ok/rotate", fresh);
    const say = async (text: string) => {
      await m.call("POST", `/api/market/threads/${c.thread}/messages`, {
        key: c.buyer.key,
        body: { body: text },
      });
      await m.worker.drain();
      const got = rx.seen.filter((s) => s.path === "/ok/rotate").at(-1) as Seen;
      const verifies = (secret: string) => {
        try {
          new Webhook(secret).verify(got.body, got.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      };
      return {
        signatures: String(got.headers["webhook-signature"]).split(" ").length,
        old: verifies(old),
        fresh: verifies(fresh),
      };
    };
    expect(await say("during the overlap")).toEqual({ signatures: 2, old: true, fresh: true });
    clock.advance(2 * HOUR);
    expect(await say("after it")).toEqual({ signatures: 1, old: false, fresh: true });
    const listed = await m.call("GET", "/api/v1/webhooks", { key: c.seller.key });
    expect(JSON.stringify(listed.body)).not.toContain("whsec_");
    const stranger = await m.agent();
    expect(
      (await m.call("GET", `/api/v1/webhooks/${endpoint}`, { key: stranger.key })).body.code,
    ).toBe("WEBHOOK_ENDPOINT_NOT_FOUND");
  });

  /** An endpoint of a fresh seller whose one delivery died (the receiver never knew it). */
  async function deadDelivery(path: string) {
    const c = await chatter(0);
    const endpoint = await subscribe(c.seller.key, path, ["message.created"]);
    const secret = rx.secrets.get(path) as string;
    rx.secrets.delete(path); // the receiver answers 404 to everything sent there
    await m.call("POST", `/api/market/threads/${c.thread}/messages`, {
      key: c.buyer.key,
      body: { body: "anyone?" },
    });
    await settle(8);
    const [dead] = await deliveries(c.seller.key, endpoint, "&status=dead");
    expect(dead).toMatchObject({ status: "dead", attempts: 6, generation: 1 });
    return { ...c, endpoint, dead: dead as NonNullable<typeof dead>, path, secret };
  }

  it("answers 404 to a stranger's bulk redelivery of another's endpoint and redelivers nothing", async () => {
    const d = await deadDelivery("/nobody/bulk");
    const stranger = await m.agent();
    const res = await m.call("POST", `/api/v1/webhooks/${d.endpoint}/redeliver`, {
      key: stranger.key,
      headers: { "idempotency-key": "stranger-bulk-1" },
    });
    expect(res.status).toBe(404);
    expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe("WEBHOOK_ENDPOINT_NOT_FOUND");
    expect((await deliveries(d.seller.key, d.endpoint))[0]).toMatchObject({
      status: "dead",
      generation: 1,
    });
    const own = await m.call("POST", `/api/v1/webhooks/${d.endpoint}/redeliver`, {
      key: d.seller.key,
    });
    expect([own.status, own.body]).toEqual([202, { redelivered: 1 }]);
    // Nothing dead is left to trip over: the endpoint itself must be refused to a stranger.
    const empty = await m.call("POST", `/api/v1/webhooks/${d.endpoint}/redeliver`, {
      key: stranger.key,
    });
    expect([empty.status, empty.body.code]).toEqual([404, "WEBHOOK_ENDPOINT_NOT_FOUND"]);
  });

  it("lists every principal's deliveries to the operator, filtered and paged", async () => {
    const d = await deadDelivery("/nobody/list");
    const admin = (qs: string, key = m.hub.adminKey) =>
      m.hub.call("GET", `/api/v1/admin/webhooks/deliveries${qs}`, { key });
    const dead = await admin(`?status=dead&endpoint_id=${d.endpoint}`);
    expect(dead.status, JSON.stringify(dead.body)).toBe(200);
    expect(dead.body.items).toHaveLength(1);
    expect(dead.body.items[0]).toMatchObject({
      id: d.dead.id,
      endpoint_id: d.endpoint,
      owner_id: d.seller.id,
      status: "dead",
      attempts: 6,
    });
    expect(dead.body.items[0].attempts_list).toHaveLength(6);
    expect(dead.body.next_cursor).toBeNull();
    const anyDead = await admin("?status=dead&limit=200");
    expect(anyDead.body.items.every((x: { status: string }) => x.status === "dead")).toBe(true);
    const owners = new Set(anyDead.body.items.map((x: { owner_id: string }) => x.owner_id));
    expect(owners.size).toBeGreaterThan(1);
    const first = await admin("?limit=1");
    expect(first.body.next_cursor).toBe(first.body.items[0].id);
    const second = await admin(`?limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body.items[0].id < first.body.items[0].id).toBe(true);
    const refused = await admin("", d.seller.key);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("FORBIDDEN");
    expect((await admin("?status=lost")).body.code).toBe("VALIDATION_FAILED");
  });

  it("lets the operator redeliver anyone's delivery, once per key, and refuses everyone else", async () => {
    const d = await deadDelivery("/nobody/admin");
    const url = `/api/v1/admin/webhooks/deliveries/${d.dead.id}/redeliver`;
    const refused = await m.hub.call("POST", url, { key: d.seller.key });
    expect([refused.status, refused.body.code]).toEqual([403, "FORBIDDEN"]);
    const unknown = await m.hub.call(
      "POST",
      "/api/v1/admin/webhooks/deliveries/whd_00000000000000000000000000/redeliver",
      { key: m.hub.adminKey },
    );
    expect([unknown.status, unknown.body.code]).toEqual([404, "WEBHOOK_DELIVERY_NOT_FOUND"]);
    const headers = { "idempotency-key": "operator-redeliver-1" };
    const again = await m.hub.call("POST", url, { key: m.hub.adminKey, headers });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.body).toMatchObject({
      id: d.dead.id,
      owner_id: d.seller.id,
      status: "pending",
      generation: 2,
    });
    const replay = await m.hub.call("POST", url, { key: m.hub.adminKey, headers });
    expect([replay.status, replay.body]).toEqual([202, again.body]);
    const twice = await m.hub.call("POST", url, { key: m.hub.adminKey });
    expect(twice.body.code).toBe("WEBHOOK_DELIVERY_PENDING");
    rx.secrets.set(d.path, d.secret); // the receiver is back
    await settle(2);
    const [after] = await deliveries(d.seller.key, d.endpoint);
    expect(after).toMatchObject({
      status: "succeeded",
      generation: 2,
      message_id: d.dead.message_id,
    });
    expect(rx.accepted).toContain(d.dead.message_id);
  });
});
