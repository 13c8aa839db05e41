import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { printReport, runCrash } from "./crash.ts";
import { createStore, HubNode, newAdminKey, openReader } from "./support/cluster.ts";
import { Api, mainArgs, Tally } from "./support/ops.ts";
import { buildWorld, type Principal, principal } from "./support/ops-world.ts";

/**
 * Scale-out harness (issue 12, item 6): two agx processes on one PostgreSQL behind a round-robin
 * client. The crash harness runs over both (kills land on either); a market journey with
 * webhooks runs over both, and each delivery reaches the receiver once (the outbox is claimed by
 * one node per row); market orders left to their review and acceptance deadlines are advanced
 * by the scheduler of one node, once each (the timers are outbox rows due later); the
 * registration rate limit holds across both; and the single-row ceiling (transfers per second
 * into one hot account vs. spread over many) is measured.
 *
 *   npm run stress:scale -- [crash ops] [clients] [kills] [journeys] [seconds per ceiling]
 *     [orders left to deadlines] [deadline ms]
 */

export interface ScaleOptions {
  pg_url?: string;
  crash: { ops: number; clients: number; kills: number };
  journeys: number;
  ceiling_s: number;
  /** Market orders taken to PROOF_SUBMITTED and left for the scheduler to review and accept. */
  deadline_orders: number;
  /** Both market deadlines of the nodes (AGX_MARKET_*_MS; a second at least, test mode). */
  deadline_ms: number;
  log?: (l: string) => void;
}

export interface ScaleReport {
  crash: Awaited<ReturnType<typeof runCrash>>;
  journeys: { served: number[]; deliveries: number; received: number; outbox_reclaimed: number };
  deadlines: { orders: number; completed: number; timers: number; timers_fired_twice: number };
  rate_limit: { sent: number; created: number; limited: number; limit: number };
  ceiling: { hot_per_s: number; spread_per_s: number; clients: number; seconds: number };
  failures: string[];
}

/** Runs every part; the failures list is empty when the two nodes behaved as one. */
export async function runScale(o: ScaleOptions): Promise<ScaleReport> {
  const log = o.log ?? (() => {});
  const crash = await runCrash({
    store: "postgres",
    nodes: 2,
    ...o.crash,
    ...(o.pg_url ? { pg_url: o.pg_url } : {}),
    log,
  });
  const failures = crash.failures.map((f) => `crash: ${f}`);
  if (crash.served.some((n) => n === 0))
    failures.push(`crash: a node served nothing (${crash.served})`);
  const { store, drop } = await createStore("postgres", o.pg_url);
  const admin = newAdminKey();
  const deadlineEnv = {
    AGX_MARKET_REVIEW_START_MS: String(o.deadline_ms),
    AGX_MARKET_AUTO_ACCEPT_MS: String(o.deadline_ms),
  };
  const nodes = [0, 1].map(() => new HubNode({ store, admin_key: admin, env: deadlineEnv }));
  const hits = new Tally();
  const rx = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      hits.add(String(req.headers["webhook-id"]));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => rx.listen(0, "127.0.0.1", r));
  try {
    await nodes[0]?.start();
    await nodes[1]?.start();
    const api = new Api(() => nodes.map((n) => n.url));
    const world = await buildWorld(api, admin, { clients: 2, buyer_funds: "100", budget: "1" });
    // First, so their timers run out while the other parts work.
    const timed = await leftToDeadlines(api, admin, o.deadline_orders);
    await market(api, world.buyers as Principal[], o.journeys, rx.address() as AddressInfo);
    const served = nodes.map((n) => api.sent.get(n.url) ?? 0);
    const reader = await openReader(store);
    let deliveries = 0;
    let reclaimed = 0;
    try {
      for (let i = 0; i < 240; i++) {
        const rows = await reader.rows<{ n: unknown }>(
          "select count(*) as n from webhook_deliveries where status = 'pending'",
        );
        if (Number(rows[0]?.n) === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const d = await reader.rows<{ message_id: string; status: string; attempts: unknown }>(
        "select message_id, status, attempts from webhook_deliveries",
      );
      deliveries = d.length;
      for (const x of d) {
        if (x.status !== "succeeded" || Number(x.attempts) !== 1)
          failures.push(`delivery of ${x.message_id}: ${x.status} after ${x.attempts} attempts`);
        if (hits.get(x.message_id) !== 1)
          failures.push(`webhook ${x.message_id} reached the receiver ${hits.get(x.message_id)}×`);
      }
      const twice = await reader.rows<{ n: unknown }>(
        "select count(*) as n from outbox_messages where state = 'done' and attempts > 1",
      );
      reclaimed = Number(twice[0]?.n ?? 0);
      if (reclaimed > 0) failures.push(`${reclaimed} outbox messages were claimed more than once`);
    } finally {
      await reader.close();
    }
    if (served.some((n) => n === 0)) failures.push(`journeys: a node served nothing (${served})`);
    if (deliveries === 0) failures.push("journeys produced no webhook deliveries");
    log(`journeys: ${deliveries} deliveries, requests per node ${served.join(" / ")}`);
    const rate_limit = await rateLimit(api);
    if (rate_limit.created !== rate_limit.limit)
      failures.push(
        `registration limit: ${rate_limit.created} created across two nodes, limit ${rate_limit.limit}`,
      );
    const ceiling = await ceilingOf(api, admin, o.ceiling_s);
    log(`ceiling: hot ${ceiling.hot_per_s}/s, spread ${ceiling.spread_per_s}/s`);
    const deadlines = await checkDeadlines(store, api, timed, o.deadline_ms, failures);
    log(`deadlines: ${deadlines.completed}/${deadlines.orders} completed by the scheduler`);
    return {
      crash,
      journeys: {
        served,
        deliveries,
        received: [...hits.counts.values()].reduce((s, n) => s + n, 0),
        outbox_reclaimed: reclaimed,
      },
      deadlines,
      rate_limit,
      ceiling,
      failures,
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    rx.closeAllConnections();
    rx.close();
    await drop();
  }
}

/** Market journeys (bounty → escrow → accept) alternating nodes, with both parties' webhooks. */
async function market(api: Api, [buyer, seller]: Principal[], n: number, rx: AddressInfo) {
  if (!buyer || !seller) throw new Error("two principals");
  for (const who of [buyer, seller])
    await api.must("POST", "/api/v1/webhooks", {
      key: who.key,
      body: { url: `http://127.0.0.1:${rx.port}/hook`, event_types: ["*"] },
    });
  for (let i = 0; i < n; i++) {
    const l = await api.must("POST", "/api/market/listings", {
      key: buyer.key,
      body: {
        kind: "bounty",
        title: `scale ${i}`,
        description: "two nodes",
        category: "stress",
        price: { type: "fixed", amount: "0.1" },
        asset: "USDC",
      },
    });
    const nego = await api.must("POST", "/api/market/negotiations", {
      key: seller.key,
      body: { sourceType: "bounty", sourceId: l.id },
    });
    const id = nego.order.id as string;
    for (const [who, body] of [
      [buyer, { event: "agree" }],
      [seller, { event: "agree" }],
      [buyer, { event: "fund" }],
      [seller, { event: "start" }],
      [seller, { event: "submit_proof", proof: { text: "done" } }],
      [buyer, { event: "start_review" }],
      [buyer, { event: "accept" }],
    ] as const) {
      const r = await api.must("PATCH", `/api/market/orders/${id}`, { key: who.key, body });
      if (body.event === "accept" && r.order.status !== "COMPLETED")
        throw new Error(`journey ${i} ended ${r.order.status}`);
    }
  }
}

/** Fixed market price of every journey, and the hub fee the nodes take (the default 100 bps). */
const PRICE = { amount: "0.1", minor: 100_000n } as const;
const FEE_BPS = 100n;
/** What the deadline seller starts with (a deposit must be positive). */
const SELLER_SEED = { amount: "0.01", minor: 10_000n } as const;

/** Orders a fresh buyer/seller pair took to PROOF_SUBMITTED, for the scheduler to finish. */
interface Timed {
  order_ids: string[];
  seller: Principal;
  started_ms: number;
}

async function leftToDeadlines(api: Api, admin: string, n: number): Promise<Timed> {
  const tag = Date.now().toString(36);
  const buyer = await principal(api, admin, `dlb${tag}`, "100");
  const seller = await principal(api, admin, `dls${tag}`, SELLER_SEED.amount);
  const order_ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = await api.must("POST", "/api/market/listings", {
      key: buyer.key,
      body: {
        kind: "bounty",
        title: `deadline ${i}`,
        description: "left to the scheduler",
        category: "stress",
        price: { type: "fixed", amount: PRICE.amount },
        asset: "USDC",
      },
    });
    const nego = await api.must("POST", "/api/market/negotiations", {
      key: seller.key,
      body: { sourceType: "bounty", sourceId: l.id },
    });
    const id = nego.order.id as string;
    for (const [who, body] of [
      [buyer, { event: "agree" }],
      [seller, { event: "agree" }],
      [buyer, { event: "fund" }],
      [seller, { event: "start" }],
      [seller, { event: "submit_proof", proof: { text: "done, nobody looks" } }],
    ] as const)
      await api.must("PATCH", `/api/market/orders/${id}`, { key: who.key, body });
    order_ids.push(id);
  }
  return { order_ids, seller, started_ms: Date.now() };
}

/**
 * Waits for the timed orders to complete, then checks that each was moved by the system exactly
 * once per deadline (one REVIEWING, one COMPLETED event), that every timer row ran once, and that
 * the seller was paid once per order.
 */
async function checkDeadlines(
  store: Awaited<ReturnType<typeof createStore>>["store"],
  api: Api,
  timed: Timed,
  deadline_ms: number,
  failures: string[],
) {
  const ids = timed.order_ids;
  const out = { orders: ids.length, completed: 0, timers: 0, timers_fired_twice: 0 };
  if (ids.length === 0) return out;
  const reader = await openReader(store);
  try {
    const list = ids.map((id) => `'${id.replace(/'/g, "")}'`).join(", ");
    // Two deadlines in a row, plus time for a worker's poll; generous on a loaded box.
    const until = timed.started_ms + 2 * deadline_ms + 90_000;
    while (Date.now() < until) {
      const rows = await reader.rows<{ n: unknown }>(
        `select count(*) as n from market_orders where id in (${list}) and status = 'COMPLETED'`,
      );
      out.completed = Number(rows[0]?.n);
      if (out.completed === ids.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (out.completed !== ids.length)
      failures.push(`deadlines: ${out.completed}/${ids.length} orders completed by the scheduler`);
    const events = await reader.rows<{ order_id: string; to_status: string; actor_id: string }>(
      `select order_id, to_status, actor_id from market_order_events where order_id in (${list}) and to_status in ('REVIEWING', 'COMPLETED')`,
    );
    for (const id of ids) {
      for (const to of ["REVIEWING", "COMPLETED"]) {
        const moves = events.filter((e) => e.order_id === id && e.to_status === to);
        if (moves.length !== 1 || moves[0]?.actor_id !== "system")
          failures.push(
            `deadlines: order ${id} moved to ${to} ${moves.length}× (${moves.map((m) => m.actor_id)})`,
          );
      }
    }
    const timers = await reader.rows<{ dedupe_key: string; state: string; attempts: unknown }>(
      `select dedupe_key, state, attempts from outbox_messages where topic in ('market.review_start_due', 'market.auto_accept_due')`,
    );
    for (const t of timers) {
      if (!ids.some((id) => t.dedupe_key.includes(id))) continue;
      out.timers++;
      // A handler's own transition clears its order's timers, itself included: a timer that
      // ran ends done or cancelled, with exactly one attempt either way.
      if (!["done", "cancelled"].includes(t.state) || Number(t.attempts) !== 1) {
        out.timers_fired_twice++;
        failures.push(`deadlines: timer ${t.dedupe_key} ${t.state} after ${t.attempts} attempts`);
      }
    }
    if (out.timers !== 2 * ids.length)
      failures.push(`deadlines: ${out.timers} timer rows for ${ids.length} orders (2 each)`);
  } finally {
    await reader.close();
  }
  const payout = PRICE.minor - (PRICE.minor * FEE_BPS) / 10_000n;
  const balances = await api.must("GET", "/api/v1/balances", { key: timed.seller.key });
  const available = balances.items.find(
    (a: { kind: string; asset: string }) => a.kind === "available" && a.asset === "USDC",
  );
  const paid = BigInt(available?.balance_minor ?? -1) - SELLER_SEED.minor;
  if (paid !== payout * BigInt(ids.length))
    failures.push(
      `deadlines: seller was paid ${paid} minor units, ${payout * BigInt(ids.length)} expected (${ids.length} × ${payout})`,
    );
  return out;
}

/** Registrations per IP are limited by a row, not by a process: two nodes share one window. */
async function rateLimit(api: Api) {
  const limit = 20;
  const sent = 30;
  let created = 0;
  let limited = 0;
  for (let i = 0; i < sent; i++) {
    const r = await api.once("POST", "/api/agents/register", {
      body: { handle: `rl${Date.now().toString(36)}${i}` },
    });
    if (r.status === 201) created++;
    else if (r.status === 429) limited++;
  }
  return { sent, created, limited, limit };
}

/**
 * Transfers per second into one hot account (every writer updates the same row) against the
 * same load spread over disjoint account pairs: the single-row ceiling of the ledger.
 */
async function ceilingOf(api: Api, admin: string, seconds: number) {
  const clients = 32;
  const sources: Principal[] = [];
  const sinks: Principal[] = [];
  for (let i = 0; i < clients; i++) {
    sources.push(await principal(api, admin, `src${Date.now().toString(36)}${i}`, "100"));
    sinks.push(await principal(api, admin, `snk${Date.now().toString(36)}${i}`, "0.01"));
  }
  const run = async (sinkOf: (i: number) => Principal) => {
    const until = Date.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      sources.map(async (src, i) => {
        for (let n = 0; Date.now() < until; n++) {
          const r = await api.once("POST", "/api/v1/admin/transfers", {
            key: admin,
            body: {
              transfers: [
                {
                  op: "transfer",
                  id: `c${Date.now().toString(36)}-${i}-${n}-${Math.random().toString(36).slice(2, 6)}`,
                  debit_account_id: src.account_id,
                  credit_account_id: sinkOf(i).account_id,
                  amount: "0.000001",
                  asset: "USDC",
                  code: "ceiling",
                },
              ],
            },
          });
          if (r.status === 200 && r.body.results[0].result === "created") done++;
        }
      }),
    );
    return Math.round(done / seconds);
  };
  const hot = sinks[0] as Principal;
  const hot_per_s = await run(() => hot);
  const spread_per_s = await run((i) => sinks[i] as Principal);
  return { hot_per_s, spread_per_s, clients, seconds };
}

export function printScale(r: ScaleReport, out: (s: string) => void = console.log): void {
  printReport(r.crash, out);
  out("\n== scale-out: two nodes, one PostgreSQL ==");
  out(
    `market journeys: requests per node ${r.journeys.served.join(" / ")}; webhook deliveries ${r.journeys.deliveries}, received ${r.journeys.received}, outbox rows claimed twice ${r.journeys.outbox_reclaimed}`,
  );
  out(
    `deadlines: ${r.deadlines.completed}/${r.deadlines.orders} orders completed by the scheduler; ${r.deadlines.timers} timer rows, ${r.deadlines.timers_fired_twice} fired more than once`,
  );
  out(
    `registration limit across nodes: ${r.rate_limit.created} created, ${r.rate_limit.limited} limited of ${r.rate_limit.sent} (limit ${r.rate_limit.limit})`,
  );
  out(
    `single-row ceiling (${r.ceiling.clients} clients, ${r.ceiling.seconds} s each): one hot account ${r.ceiling.hot_per_s} transfers/s; spread ${r.ceiling.spread_per_s} transfers/s`,
  );
  out(r.failures.length === 0 ? "OK: 0 failures" : `FAILURES (${r.failures.length}):`);
  for (const f of r.failures) out(`  ✗ ${f}`);
}

const args = mainArgs(import.meta.url);
if (args) {
  const n = (i: number, d: number) => Number(args[i] ?? d);
  const report = await runScale({
    crash: { ops: n(0, 20_000), clients: n(1, 64), kills: n(2, 10) },
    journeys: n(3, 20),
    ceiling_s: n(4, 10),
    deadline_orders: n(5, 20),
    deadline_ms: n(6, 5_000),
    log: (l) => console.log(l),
  });
  printScale(report);
  process.exitCode = report.failures.length > 0 ? 1 : 0;
}
