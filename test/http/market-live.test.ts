import { get } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { marketLimits } from "../../src/market/index.ts";
import { describeStores } from "../support/stores.ts";
import { type MarketHub, startMarketHub } from "./market-hub.ts";

const DAY = 24 * 3_600_000;

interface Frame {
  id: string | null;
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read frames field by field.
  data: any;
}

/** An SSE connection over real HTTP that collects frames and comments until closed. */
interface Stream {
  status: number;
  headers: Record<string, unknown>;
  frames: Frame[];
  comments: string[];
  /** Raw body of a non-stream answer (a problem). */
  body: string;
  /** Resolves once `done` accepts what arrived (or after the timeout). */
  until(done: (s: Stream) => boolean, timeout_ms?: number): Promise<void>;
  close(): void;
}

function parse(block: string, s: Stream) {
  const lines = block.split("\n");
  for (const l of lines) if (l.startsWith(":")) s.comments.push(l.slice(1).trim());
  const field = (name: string) =>
    lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
  const data = field("data");
  if (data !== null)
    s.frames.push({ id: field("id"), event: field("event") ?? "", data: JSON.parse(data) });
}

function open(url: string, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const waiters = new Set<() => void>();
    const s: Stream = {
      status: 0,
      headers: {},
      frames: [],
      comments: [],
      body: "",
      until(done, timeout_ms = 10_000) {
        return new Promise((ok) => {
          if (done(s)) return ok();
          const check = () => {
            if (!done(s)) return;
            clearTimeout(timer);
            waiters.delete(check);
            ok();
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            ok();
          }, timeout_ms);
          waiters.add(check);
        });
      },
      close: () => req.destroy(),
    };
    const req = get(url, { headers }, (res) => {
      s.status = res.statusCode ?? 0;
      s.headers = res.headers;
      res.setEncoding("utf8");
      let buffer = "";
      res.on("data", (chunk: string) => {
        if (!String(res.headers["content-type"]).startsWith("text/event-stream")) {
          s.body += chunk;
          return;
        }
        buffer += chunk;
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          parse(buffer.slice(0, cut), s);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf("\n\n");
        }
        for (const w of [...waiters]) w();
      });
      res.on("end", () => {
        for (const w of [...waiters]) w();
      });
      resolve(s);
    });
    req.on("error", (e) => {
      if (s.status === 0) reject(e);
    });
  });
}

describeStores("market threads live (SSE) and the operator's disputes queue", (store) => {
  const clock = manualClock(Date.UTC(2026, 6, 1));
  let m: MarketHub;
  let url = "";
  const streams: Stream[] = [];

  beforeAll(async () => {
    m = await startMarketHub({ database: store.db, clock });
    url = await m.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await m.close();
  });

  const follow = async (thread: string, key: string, headers: Record<string, string> = {}) => {
    const s = await open(`${url}/api/market/threads/${thread}/events`, {
      authorization: `Bearer ${key}`,
      ...headers,
    });
    streams.push(s);
    return s;
  };
  const say = async (thread: string, key: string, body: string) => {
    const res = await m.call("POST", `/api/market/threads/${thread}/messages`, {
      key,
      body: { body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const fire = async (key: string, id: string, body: Record<string, unknown>) => {
    const res = await m.call("PATCH", `/api/market/orders/${id}`, { key, body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.order;
  };

  let pair: { buyer: { id: string; key: string }; seller: { id: string; key: string } } | null =
    null;
  /**
   * A bounty of a funded buyer negotiated by a seller: the order, its thread and both keys. The
   * same two agents serve every test that needs no fresh ones (registrations are rate limited).
   */
  async function negotiation(fresh = false) {
    if (fresh || !pair) pair = { buyer: await m.agent("100"), seller: await m.agent() };
    const { buyer, seller } = pair;
    const posted = await m.call("POST", "/api/market/listings", {
      key: buyer.key,
      body: {
        kind: "bounty",
        title: "Proofread a paper",
        description: "Twelve pages",
        category: "writing",
        price: { type: "fixed", amount: "5" },
        asset: "USDC",
        deadline: new Date(clock.now_ms() + 10 * DAY).toISOString(),
      },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    const opened = await m.call("POST", "/api/market/negotiations", {
      key: seller.key,
      body: { sourceType: "bounty", sourceId: posted.body.id },
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    return {
      buyer,
      seller,
      order: opened.body.order.id as string,
      thread: opened.body.thread.id as string,
    };
  }

  it("streams a message posted after a party connected, as `message` with the message id", async () => {
    const n = await negotiation();
    const s = await follow(n.thread, n.buyer.key);
    expect(s.status).toBe(200);
    expect(String(s.headers["content-type"])).toMatch(/^text\/event-stream/);
    expect(s.headers["cache-control"]).toBe("no-cache");
    const id = await say(n.thread, n.seller.key, "I can start today");
    await s.until((x) => x.frames.length >= 1);
    expect(s.frames).toEqual([
      {
        id,
        event: "message",
        data: expect.objectContaining({
          id,
          threadId: n.thread,
          authorId: n.seller.id,
          body: "I can start today",
        }),
      },
    ]);
  });

  it("resumes after Last-Event-ID with only the messages that followed it", async () => {
    const n = await negotiation();
    const first = await say(n.thread, n.buyer.key, "one");
    const second = await say(n.thread, n.seller.key, "two");
    const third = await say(n.thread, n.buyer.key, "three");
    const s = await follow(n.thread, n.seller.key, { "last-event-id": first });
    await s.until((x) => x.frames.length >= 2);
    expect(s.frames.map((f) => f.id)).toEqual([second, third]);
    const from = await follow(n.thread, n.seller.key);
    const fourth = await say(n.thread, n.seller.key, "four");
    await from.until((x) => x.frames.length >= 1);
    // Without a cursor the stream starts after the newest message it found.
    expect(from.frames.map((f) => f.id)).toEqual([fourth]);
  });

  it("picks up a message another hub process posted, by polling the database", async () => {
    const n = await negotiation();
    const s = await follow(n.thread, n.buyer.key);
    // The full hub composes its own market module: a post there wakes nobody in this one.
    const res = await m.hub.call("POST", `/api/market/threads/${n.thread}/messages`, {
      key: n.seller.key,
      body: { body: "from the other node" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await s.until((x) => x.frames.length >= 1);
    expect(s.frames.map((f) => f.data.body)).toEqual(["from the other node"]);
  });

  it("lets the operator follow any thread and answers 404 to a stranger", async () => {
    const n = await negotiation();
    const op = await follow(n.thread, m.hub.adminKey);
    expect(op.status).toBe(200);
    const stranger = await m.agent();
    const refused = await follow(n.thread, stranger.key);
    await refused.until(() => refused.body.length > 0);
    expect(refused.status).toBe(404);
    expect(String(refused.headers["content-type"])).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(refused.body).code).toBe("MARKET_THREAD_NOT_FOUND");
    const anonymous = await open(`${url}/api/market/threads/${n.thread}/events`, {});
    streams.push(anonymous);
    expect(anonymous.status).toBe(401);
  });

  it("refuses a Last-Event-ID that is not a message id", async () => {
    const n = await negotiation();
    const s = await follow(n.thread, n.buyer.key, { "last-event-id": "42; drop table" });
    await s.until(() => s.body.length > 0);
    expect(s.status).toBe(400);
    expect(JSON.parse(s.body).code).toBe("VALIDATION_FAILED");
  });

  it("sends a keep-alive comment on an idle stream", async () => {
    const n = await negotiation();
    const s = await follow(n.thread, n.buyer.key);
    clock.advance(marketLimits.thread_keepalive_interval_ms + 1);
    await s.until((x) => x.comments.includes("keep-alive"), 5_000);
    expect(s.comments).toContain("keep-alive");
  });

  it("frees the stream's slot when the client hangs up, and is busy past the bound", async () => {
    const n = await negotiation();
    const threads = m.ctx.market.threads;
    const before = threads.streamsOpen();
    const s = await follow(n.thread, n.buyer.key);
    expect(threads.streamsOpen()).toBe(before + 1);
    s.close();
    for (let i = 0; i < 50 && threads.streamsOpen() > before; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(threads.streamsOpen()).toBe(before);

    const thread = await threads.get(m.ctx.db.kysely, n.thread);
    const held = [];
    while (threads.streamsOpen() < marketLimits.thread_streams_max)
      held.push(await threads.openStream(m.ctx.db.kysely, thread, null, (x) => x));
    const busy = await follow(n.thread, n.buyer.key);
    await busy.until(() => busy.body.length > 0);
    expect(busy.status).toBe(503);
    expect(busy.headers["retry-after"]).toBe("2");
    expect(JSON.parse(busy.body).code).toBe("MARKET_THREAD_STREAMS_BUSY");
    for (const h of held) h.close();
    expect(threads.streamsOpen()).toBe(before);
  });

  it("lists every party's disputed orders to the operator with all=true&status=DISPUTED", async () => {
    const a = await negotiation();
    const b = await negotiation();
    const calm = await negotiation();
    for (const n of [a, b]) {
      await fire(n.buyer.key, n.order, { event: "agree" });
      await fire(n.seller.key, n.order, { event: "agree" });
      await fire(n.buyer.key, n.order, { event: "fund" });
      await fire(n.seller.key, n.order, { event: "start" });
      const disputed = await fire(n.buyer.key, n.order, { event: "dispute", reason: "silent" });
      expect(disputed.status).toBe("DISPUTED");
    }
    const queue = await m.call("GET", "/api/market/orders?all=true&status=DISPUTED&limit=100", {
      key: m.hub.adminKey,
    });
    expect(queue.status, JSON.stringify(queue.body)).toBe(200);
    const ids = queue.body.items.map((o: { id: string }) => o.id);
    expect(ids).toEqual(expect.arrayContaining([a.order, b.order]));
    expect(ids).not.toContain(calm.order);
    expect(new Set(queue.body.items.map((o: { status: string }) => o.status))).toEqual(
      new Set(["DISPUTED"]),
    );
    const everything = await m.call("GET", "/api/market/orders?all=true&limit=100", {
      key: m.hub.adminKey,
    });
    expect(everything.body.items.map((o: { id: string }) => o.id)).toContain(calm.order);
    // Without all=true the operator's list is its own, like anyone's.
    const own = await m.call("GET", "/api/market/orders?status=DISPUTED", { key: m.hub.adminKey });
    expect(own.body.items).toEqual([]);
  });

  it("pages the operator's queue with nextCursor", async () => {
    const first = await m.call("GET", "/api/market/orders?all=true&limit=1", {
      key: m.hub.adminKey,
    });
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toBe(first.body.items[0].id);
    const next = await m.call(
      "GET",
      `/api/market/orders?all=true&limit=1&cursor=${first.body.nextCursor}`,
      { key: m.hub.adminKey },
    );
    expect(next.body.items[0].id < first.body.items[0].id).toBe(true);
  });

  it("refuses all=true to a party that is not the operator with 403 FORBIDDEN", async () => {
    const n = await negotiation(true);
    const res = await m.call("GET", "/api/market/orders?all=true", { key: n.buyer.key });
    expect(res.status).toBe(403);
    expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe("FORBIDDEN");
    const mine = await m.call("GET", "/api/market/orders?all=false", { key: n.buyer.key });
    expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([n.order]);
  });
});
