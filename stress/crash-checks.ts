import type { OpRecord } from "./crash-scenarios.ts";
import type { StoreReader } from "./support/cluster.ts";
import type { Api } from "./support/ops.ts";
import { Tally } from "./support/ops.ts";
import type { World } from "./support/ops-world.ts";

/**
 * The end-of-run proof of the crash harness, read from the database rows (not from the API's
 * view of them): every acknowledged write present exactly once, refused writes absent, nothing
 * half-applied, the ledger verified, no balance below zero, the delegation budget kept.
 */

export interface CheckResult {
  failures: string[];
  /** (order status, payment status, hold state) → count, and the same for market orders. */
  shapes: Record<string, number>;
  counts: Record<string, number>;
}

interface OrderRow {
  id: string;
  buyer_id: string;
  input: string;
  client_ref: string | null;
  status: string;
  rail: string;
  amount_minor: bigint | string;
  pay_status: string | null;
  hold_state: string | null;
}

/** Payment and hold states an order may be in when the dust settles (no half-applied one). */
const orderShapes = new Set([
  "created|-|-",
  "payment_pending|intent_created|-",
  "ready|held|pending",
  "delivered|held|pending",
  "confirmed|released|posted",
  "failed|refunded|voided",
  "cancelled|refunded|voided",
  "refunded|refunded|voided",
  "ready|held|-",
  "delivered|held|-",
  "confirmed|released|-",
  "failed|refunded|-",
  "cancelled|refunded|-",
]);

const marketShapes = new Set([
  "NEGOTIATING|-",
  "AWAITING_PAY|-",
  "ESCROWED|pending",
  "DELIVERING|pending",
  "PROOF_SUBMITTED|pending",
  "REVIEWING|pending",
  "COMPLETED|posted",
  "REFUNDED|voided",
]);

const dataOf = (input: string): string | null => {
  try {
    const v = JSON.parse(input) as { data?: unknown };
    return typeof v.data === "string" ? v.data : null;
  } catch {
    return null;
  }
};

/** Applies every check; returns the failures (empty when the run proved itself). */
export async function checkRun(
  api: Api,
  reader: StoreReader,
  world: World,
  records: readonly OpRecord[],
): Promise<CheckResult> {
  const failures: string[] = [];
  const fail = (what: string) => {
    if (failures.length < 200) failures.push(what);
  };
  const counts = new Tally();
  const shapes = new Tally();

  const orders = await reader.rows<OrderRow>(
    `select o.id, o.buyer_id, o.input, o.client_ref, o.status, o.rail, o.amount_minor,
            p.status as pay_status, t.state as hold_state
       from orders o left join order_payments p on p.order_id = o.id
       left join ledger_transfers t on t.id = p.hold_id`,
  );
  const byData = new Map<string, OrderRow[]>();
  const byRef = new Map<string, OrderRow[]>();
  for (const o of orders) {
    const shape = `${o.status}|${o.pay_status ?? "-"}|${o.hold_state ?? "-"}`;
    shapes.add(`order ${o.rail} ${shape}`);
    if (!orderShapes.has(shape)) fail(`order ${o.id} (${o.rail}) is half-applied: ${shape}`);
    if (o.status === "executing") fail(`order ${o.id} still executing after recovery`);
    const data = dataOf(o.input);
    // Invokes carry a client_ref too (their Idempotency-Key's digest), so both indexes hold them.
    if (o.client_ref) byRef.set(o.client_ref, [...(byRef.get(o.client_ref) ?? []), o]);
    if (data) byData.set(data, [...(byData.get(data) ?? []), o]);
  }

  const market = await reader.rows<{ id: string; status: string; hold_state: string | null }>(
    `select m.id, m.status, t.state as hold_state
       from market_orders m left join ledger_transfers t on t.id = m.hold_id`,
  );
  const marketById = new Map(market.map((m) => [m.id, m]));
  for (const m of market) {
    const shape = `${m.status}|${m.hold_state ?? "-"}`;
    shapes.add(`market ${shape}`);
    if (!marketShapes.has(shape)) fail(`market order ${m.id} is half-applied: ${shape}`);
  }
  const listings = await reader.rows<{ title: string }>(
    `select title from market_listings where title like ?`,
    [`stress s${world.run}-%`],
  );
  const listingCount = new Tally();
  for (const l of listings) listingCount.add(l.title.slice("stress ".length));

  const transfers = new Map(
    (
      await reader.rows<{ id: string; state: string }>(
        `select id, state from ledger_transfers where id like ?`,
        [`s${world.run}-%`],
      )
    ).map((t) => [t.id, t.state]),
  );
  const jobs = await reader.rows<{
    id: string;
    client_key: string | null;
    status: string;
    float_channel_id: string;
  }>("select id, client_key, status, float_channel_id from pipeline_jobs");
  const jobsByKey = new Map<string, (typeof jobs)[number][]>();
  for (const j of jobs) {
    if (j.client_key) jobsByKey.set(j.client_key, [...(jobsByKey.get(j.client_key) ?? []), j]);
  }
  const floats = new Set(jobs.map((j) => j.float_channel_id));
  // A pipeline's float is a channel of its owner too; the buyers' own opens are counted apart.
  const channels = (
    await reader.rows<{ id: string; owner_id: string; status: string }>(
      "select id, owner_id, status from channels",
    )
  ).filter((c) => !floats.has(c.id));
  const floatStatus = new Map(
    (await reader.rows<{ id: string; status: string }>("select id, status from channels")).map(
      (c) => [c.id, c.status],
    ),
  );
  const channelById = new Map(channels.map((c) => [c.id, c]));
  const channelsOf = new Tally();
  for (const c of channels) channelsOf.add(c.owner_id);

  const once = (what: string, n: number, step: OpRecord["steps"][number] | undefined) => {
    const outcome = step?.outcome ?? "not sent";
    if (outcome === "acked" && n !== 1) fail(`${what}: acknowledged but present ${n}×`);
    if ((outcome === "refused" || outcome === "not sent") && n !== 0)
      fail(`${what}: ${outcome} but present ${n}×`);
    if (outcome === "unknown" && n > 1) fail(`${what}: unknown and present ${n}×`);
    counts.add(`effect ${outcome} present=${Math.min(n, 2)}`);
  };
  const stepOf = (r: OpRecord, name: string) => r.steps.find((s) => s.name === name);

  const openedBy = new Tally();
  const unknownOpens = new Tally();
  for (const r of records) {
    counts.add(`${r.kind} ${r.completed ? "completed" : "stopped"}`);
    for (const s of r.steps) counts.add(`steps ${s.outcome}`);
    const buyer = world.buyers[r.client];
    switch (r.kind) {
      case "deposit":
        once(`deposit ${r.id}`, transfers.has(r.id) ? 1 : 0, stepOf(r, "deposit"));
        break;
      case "invoke":
      case "delegated":
        once(`${r.kind} ${r.id}`, byData.get(r.id)?.length ?? 0, stepOf(r, "invoke"));
        break;
      case "order_confirm":
      case "order_refund":
      case "order_cancel": {
        const found = byRef.get(r.id) ?? [];
        once(`order ${r.id}`, found.length, stepOf(r, "create"));
        const want = {
          order_confirm: "confirmed",
          order_refund: "failed",
          order_cancel: "cancelled",
        };
        if (r.completed && found[0]?.status !== want[r.kind])
          fail(`order ${r.id} completed as ${r.kind} but is ${found[0]?.status}`);
        break;
      }
      case "channel": {
        const open = stepOf(r, "open");
        if (open?.outcome === "acked") openedBy.add(buyer?.id ?? "");
        if (open?.outcome === "unknown") unknownOpens.add(buyer?.id ?? "");
        for (const i of [1, 2]) {
          const s = stepOf(r, `debit${i}`);
          once(`channel call ${r.id}:c${i}`, byData.get(`${r.id}:c${i}`)?.length ?? 0, s);
        }
        const ch = r.refs.channel ? channelById.get(r.refs.channel) : undefined;
        if (r.completed && ch?.status !== "closed")
          fail(`channel ${r.refs.channel} closed (acknowledged) but is ${ch?.status}`);
        break;
      }
      case "market_accept":
      case "market_cancel": {
        once(`listing ${r.id}`, listingCount.get(r.id), stepOf(r, "listing"));
        const m = r.refs.market_order ? marketById.get(r.refs.market_order) : undefined;
        const want = r.kind === "market_accept" ? "COMPLETED" : "REFUNDED";
        if (r.completed && m?.status !== want)
          fail(`market order ${r.refs.market_order} acknowledged ${want} but is ${m?.status}`);
        break;
      }
      case "pipeline": {
        const found = jobsByKey.get(`${r.id}:pipeline`) ?? [];
        once(`pipeline ${r.id}`, found.length, stepOf(r, "pipeline"));
        for (const j of found) {
          shapes.add(`pipeline ${j.status}|float ${floatStatus.get(j.float_channel_id) ?? "-"}`);
          if (j.status === "running") fail(`pipeline job ${j.id} still running after recovery`);
          else if (floatStatus.get(j.float_channel_id) !== "closed")
            fail(`pipeline job ${j.id} ${j.status} but its float is not closed`);
        }
        for (const p of ["p1", "p2"]) {
          const n = byData.get(`${r.id}:${p}`)?.length ?? 0;
          if (n > 1) fail(`pipeline ${r.id} step ${p} paid ${n}×`);
          if (n > 0 && found.length === 0) fail(`pipeline ${r.id} step ${p} paid without a job`);
          if (found[0]?.status === "succeeded" && n !== 1)
            fail(`pipeline ${r.id} succeeded but step ${p} has ${n} orders`);
        }
        break;
      }
      case "hold_post":
      case "hold_void": {
        const h = stepOf(r, "hold");
        if (h?.outcome === "acked" && h.status === 200 && !transfers.has(`${r.id}.h`)) {
          if (r.steps.length > 1) fail(`hold ${r.id}.h acknowledged but absent`);
        }
        if (h?.outcome === "refused" && transfers.has(`${r.id}.h`))
          fail(`hold ${r.id}.h refused but present`);
        const want = r.kind === "hold_post" ? "posted" : "voided";
        if (r.completed && transfers.get(`${r.id}.h`) !== want)
          fail(`hold ${r.id}.h acknowledged ${want} but is ${transfers.get(`${r.id}.h`)}`);
        break;
      }
    }
  }
  for (const b of world.buyers) {
    const n = channelsOf.get(b.id);
    const lo = openedBy.get(b.id);
    if (n < lo || n > lo + unknownOpens.get(b.id))
      fail(
        `buyer ${b.id} has ${n} channels; acknowledged opens ${lo}, unknown ${unknownOpens.get(b.id)}`,
      );
  }
  const known = new Set(
    records.flatMap((r) => [r.id, `${r.id}:c1`, `${r.id}:c2`, `${r.id}:p1`, `${r.id}:p2`]),
  );
  for (const [data, rows] of byData) {
    if (!known.has(data) && rows.some((o) => world.buyers.some((b) => b.id === o.buyer_id)))
      fail(`orders for an input nobody sent: ${data}`);
  }

  await checkMoney(api, reader, world, orders, fail, counts);
  return { failures, shapes: shapes.toObject(), counts: counts.toObject() };
}

/** Ledger verify, no non-external balance below zero, the delegation budget kept exactly. */
async function checkMoney(
  api: Api,
  reader: StoreReader,
  world: World,
  orders: OrderRow[],
  fail: (what: string) => void,
  counts: Tally,
): Promise<void> {
  const verify = await api.must("GET", "/api/v1/admin/ledger/verify", { key: world.admin });
  if (!verify.ok) fail(`ledger verify failed: ${JSON.stringify(verify.failures).slice(0, 2000)}`);
  const negative = await reader.rows<{ id: string; kind: string; balance_minor: unknown }>(
    `select id, kind, balance_minor from ledger_accounts
      where kind <> 'external'
        and (balance_minor < 0 or balance_minor - pending_debits_minor < 0)`,
  );
  for (const a of negative) fail(`account ${a.id} (${a.kind}) below zero: ${a.balance_minor}`);
  const spend = await reader.rows<{ total_spent_minor: bigint | string }>(
    "select total_spent_minor from delegation_spend where pairing_id = ?",
    [world.delegate.pairing_id],
  );
  const spent = spend.reduce((s, r) => s + BigInt(r.total_spent_minor), 0n);
  const charged = orders
    .filter((o) => o.buyer_id === world.delegate.owner.id && o.pay_status !== "refunded")
    .filter((o) => o.pay_status !== null)
    .reduce((s, o) => s + BigInt(o.amount_minor), 0n);
  counts.add("delegated spent minor", Number(spent));
  if (spent > world.delegate.budget_minor)
    fail(`delegation spent ${spent} over its budget ${world.delegate.budget_minor}`);
  if (spent !== charged) fail(`delegation counter ${spent} ≠ owner's charged orders ${charged}`);
}
