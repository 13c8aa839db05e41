import { compiledQuery } from "../db/compiled.ts";
import { big, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { OrderStatus, PaymentStatus } from "./machine.ts";
import type { Order, OrderEventRow, Outcome, Payment, Rail, Run, RunStatus } from "./model.ts";

type Int = number | bigint;
type Json = string;

interface OrderRow {
  id: string;
  buyer_id: string;
  provider_id: string;
  service_id: string;
  service_snapshot: Json;
  skill_key: string;
  operation: string;
  input: Json;
  input_sha256: string;
  quote_id: string | null;
  amount_minor: Int;
  fee_minor: Int;
  asset: string;
  rail: string;
  status: string;
  client_ref: string | null;
  pairing_id: string | null;
  handoff: Json | null;
  error: string | null;
  created_at_ms: Int;
  updated_at_ms: Int;
}
interface PaymentRow {
  id: string;
  order_id: string;
  rail: string;
  status: string;
  amount_minor: Int;
  asset: string;
  hold_id: string | null;
  channel_id: string | null;
  verification: string;
  proof: Json | null;
  created_at_ms: Int;
  updated_at_ms: Int;
}
interface RunRow {
  id: string;
  order_id: string;
  service_id: string;
  skill_key: string;
  route: string;
  status: string;
  started_at_ms: Int;
  finished_at_ms: Int | null;
  latency_ms: Int | null;
  error: string | null;
}
interface OutcomeRow {
  id: string;
  run_id: string;
  order_id: string;
  result_sha256: string;
  result: Json;
  created_at_ms: Int;
}
interface OrderTables {
  orders: OrderRow;
  order_payments: PaymentRow;
  order_events: OrderEventRow & { at_ms: Int };
  order_runs: RunRow;
  order_outcomes: OutcomeRow;
}

const q = (ex: Executor) => tablesOf<OrderTables>(ex);
const json = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

function toOrder(r: OrderRow): Order {
  return {
    ...r,
    service_snapshot: JSON.parse(r.service_snapshot) as Record<string, unknown>,
    input: JSON.parse(r.input) as unknown,
    amount_minor: big(r.amount_minor),
    fee_minor: big(r.fee_minor),
    rail: r.rail as Rail,
    status: r.status as OrderStatus,
    handoff: r.handoff === null ? null : (JSON.parse(r.handoff) as Record<string, unknown>),
    created_at_ms: num(r.created_at_ms),
    updated_at_ms: num(r.updated_at_ms),
  };
}

function toPayment(r: PaymentRow): Payment {
  return {
    ...r,
    rail: r.rail as Rail,
    status: r.status as PaymentStatus,
    amount_minor: big(r.amount_minor),
    verification: r.verification as Payment["verification"],
    proof: r.proof === null ? null : (JSON.parse(r.proof) as Record<string, unknown>),
    created_at_ms: num(r.created_at_ms),
    updated_at_ms: num(r.updated_at_ms),
  };
}

const toRun = (r: RunRow): Run => ({
  ...r,
  status: r.status as RunStatus,
  started_at_ms: num(r.started_at_ms),
  finished_at_ms: numOrNull(r.finished_at_ms),
  latency_ms: numOrNull(r.latency_ms),
});

/** Inserts an order; false when the buyer already has one with this client_ref. */
export async function insertOrder(ex: Executor, o: Order): Promise<boolean> {
  const r = await insertOrderQuery(ex, {
    ...o,
    service_snapshot: json(o.service_snapshot),
    input: json(o.input),
    handoff: o.handoff === null ? null : json(o.handoff),
  });
  return r.numAffectedRows === 1n;
}

const insertOrderQuery = compiledQuery((db, row: OrderRow) =>
  q(db)
    .insertInto("orders")
    .values(row)
    .onConflict((oc) => oc.columns(["buyer_id", "client_ref"]).doNothing()),
);

export async function getOrder(ex: Executor, id: string): Promise<Order | null> {
  const row = await q(ex).selectFrom("orders").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toOrder(row) : null;
}

export async function orderByClientRef(ex: Executor, buyer_id: string, client_ref: string) {
  const row = await q(ex)
    .selectFrom("orders")
    .selectAll()
    .where("buyer_id", "=", buyer_id)
    .where("client_ref", "=", client_ref)
    .executeTakeFirst();
  return row ? toOrder(row) : null;
}

export async function listOrders(
  ex: Executor,
  f: { party_id: string; status?: OrderStatus | undefined },
  before: string | null,
  limit: number,
): Promise<Order[]> {
  let query = q(ex)
    .selectFrom("orders")
    .selectAll()
    .where((eb) => eb.or([eb("buyer_id", "=", f.party_id), eb("provider_id", "=", f.party_id)]));
  if (f.status) query = query.where("status", "=", f.status);
  if (before) query = query.where("id", "<", before);
  return (await query.orderBy("id", "desc").limit(limit).execute()).map(toOrder);
}

/** Moves an order from `from` to `to`; false when it was no longer in `from`. */
export async function moveOrder(
  ex: Executor,
  id: string,
  from: OrderStatus,
  to: OrderStatus,
  now_ms: number,
  patch: { error?: string | null; handoff?: Record<string, unknown> | null } = {},
): Promise<boolean> {
  const set: Partial<OrderRow> = { status: to, updated_at_ms: now_ms };
  if (patch.error !== undefined) set.error = patch.error;
  if (patch.handoff !== undefined)
    set.handoff = patch.handoff === null ? null : json(patch.handoff);
  const r = await moveOrderQuery(ex, { id, from, set });
  return r.numAffectedRows === 1n;
}

const moveOrderQuery = compiledQuery(
  (db, a: { id: string; from: OrderStatus; set: Partial<OrderRow> }) =>
    q(db).updateTable("orders").set(a.set).where("id", "=", a.id).where("status", "=", a.from),
);

/** Writes an order's state as this transaction left it (a row it inserted itself: no guard). */
export async function setOrderState(ex: Executor, o: Order): Promise<void> {
  await setOrderStateQuery(ex, {
    id: o.id,
    status: o.status,
    updated_at_ms: o.updated_at_ms,
    error: o.error,
    handoff: o.handoff === null ? null : json(o.handoff),
  });
}

const setOrderStateQuery = compiledQuery(
  (db, a: Pick<OrderRow, "id" | "status" | "updated_at_ms" | "error" | "handoff">) =>
    q(db)
      .updateTable("orders")
      .set({
        status: a.status,
        updated_at_ms: a.updated_at_ms,
        error: a.error,
        handoff: a.handoff,
      })
      .where("id", "=", a.id),
);

/** Writes a payment's state as this transaction left it (a row it inserted itself: no guard). */
export async function setPaymentState(ex: Executor, p: Payment): Promise<void> {
  await setPaymentStateQuery(ex, {
    id: p.id,
    status: p.status,
    updated_at_ms: p.updated_at_ms,
    hold_id: p.hold_id,
    channel_id: p.channel_id,
    proof: p.proof === null ? null : json(p.proof),
    verification: p.verification,
  });
}

type PaymentState = Pick<
  PaymentRow,
  "id" | "status" | "updated_at_ms" | "hold_id" | "channel_id" | "proof" | "verification"
>;
const setPaymentStateQuery = compiledQuery((db, a: PaymentState) =>
  q(db)
    .updateTable("order_payments")
    .set({
      status: a.status,
      updated_at_ms: a.updated_at_ms,
      hold_id: a.hold_id,
      channel_id: a.channel_id,
      proof: a.proof,
      verification: a.verification,
    })
    .where("id", "=", a.id),
);

export async function insertEvent(ex: Executor, e: OrderEventRow): Promise<void> {
  await q(ex).insertInto("order_events").values(e).execute();
}

/** Inserts several audit events in one statement. */
export async function insertEvents(ex: Executor, es: OrderEventRow[]): Promise<void> {
  if (es.length) await insertEventsQuery(ex, es);
}

const insertEventsQuery = compiledQuery((db, rows: OrderEventRow[]) =>
  q(db).insertInto("order_events").values(rows),
);

export async function eventsOf(ex: Executor, order_id: string): Promise<OrderEventRow[]> {
  const rows = await q(ex)
    .selectFrom("order_events")
    .selectAll()
    .where("order_id", "=", order_id)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ ...r, at_ms: num(r.at_ms) }));
}

/** Inserts the order's payment; false when it has one already. */
export async function insertPayment(ex: Executor, p: Payment): Promise<boolean> {
  const r = await insertPaymentQuery(ex, { ...p, proof: p.proof === null ? null : json(p.proof) });
  return r.numAffectedRows === 1n;
}

const insertPaymentQuery = compiledQuery((db, row: PaymentRow) =>
  q(db)
    .insertInto("order_payments")
    .values(row)
    .onConflict((oc) => oc.column("order_id").doNothing()),
);

export async function paymentOf(ex: Executor, order_id: string): Promise<Payment | null> {
  const row = await q(ex)
    .selectFrom("order_payments")
    .selectAll()
    .where("order_id", "=", order_id)
    .executeTakeFirst();
  return row ? toPayment(row) : null;
}

export async function movePayment(
  ex: Executor,
  id: string,
  from: PaymentStatus,
  to: PaymentStatus,
  now_ms: number,
  patch: {
    hold_id?: string;
    channel_id?: string;
    proof?: Record<string, unknown>;
    verification?: Payment["verification"];
  } = {},
): Promise<boolean> {
  const set: Partial<PaymentRow> = { status: to, updated_at_ms: now_ms };
  if (patch.hold_id !== undefined) set.hold_id = patch.hold_id;
  if (patch.channel_id !== undefined) set.channel_id = patch.channel_id;
  if (patch.proof !== undefined) set.proof = json(patch.proof);
  if (patch.verification !== undefined) set.verification = patch.verification;
  const r = await movePaymentQuery(ex, { id, from, set });
  return r.numAffectedRows === 1n;
}

const movePaymentQuery = compiledQuery(
  (db, a: { id: string; from: PaymentStatus; set: Partial<PaymentRow> }) =>
    q(db)
      .updateTable("order_payments")
      .set(a.set)
      .where("id", "=", a.id)
      .where("status", "=", a.from),
);

/**
 * Records the ledger hold of a held payment that had none (an x402 payment, booked once it
 * settled on chain), with its proof; false when the payment is not held or already has one.
 */
export async function attachHold(
  ex: Executor,
  id: string,
  hold_id: string,
  proof: Record<string, unknown>,
  now_ms: number,
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("order_payments")
    .set({ hold_id, proof: json(proof), verification: "ledger", updated_at_ms: now_ms })
    .where("id", "=", id)
    .where("status", "=", "held")
    .where("hold_id", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertRun(ex: Executor, run: Run): Promise<void> {
  await insertRunQuery(ex, run);
}

const insertRunQuery = compiledQuery((db, row: RunRow) =>
  q(db).insertInto("order_runs").values(row),
);

export async function finishRun(
  ex: Executor,
  id: string,
  patch: { status: RunStatus; finished_at_ms: number; latency_ms: number; error: string | null },
): Promise<void> {
  await finishRunQuery(ex, { id, patch });
}

const finishRunQuery = compiledQuery(
  (
    db,
    a: {
      id: string;
      patch: {
        status: RunStatus;
        finished_at_ms: number;
        latency_ms: number;
        error: string | null;
      };
    },
  ) =>
    q(db)
      .updateTable("order_runs")
      .set(a.patch)
      .where("id", "=", a.id)
      .where("status", "=", "running"),
);

export async function insertOutcome(ex: Executor, o: Outcome): Promise<void> {
  await insertOutcomeQuery(ex, { ...o, result: json(o.result) });
}

const insertOutcomeQuery = compiledQuery((db, row: OutcomeRow) =>
  q(db).insertInto("order_outcomes").values(row),
);

export async function runsOf(
  ex: Executor,
  f: { order_id?: string; service_ids?: string[] },
  limit: number,
) {
  let query = q(ex).selectFrom("order_runs").selectAll();
  if (f.order_id) query = query.where("order_id", "=", f.order_id);
  if (f.service_ids)
    query = query.where("service_id", "in", f.service_ids.length ? f.service_ids : ["-"]);
  return (await query.orderBy("id", "desc").limit(limit).execute()).map(toRun);
}

export async function outcomeOf(ex: Executor, order_id: string): Promise<Outcome | null> {
  const row = await q(ex)
    .selectFrom("order_outcomes")
    .selectAll()
    .where("order_id", "=", order_id)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row
    ? { ...row, result: JSON.parse(row.result) as unknown, created_at_ms: num(row.created_at_ms) }
    : null;
}

/** Orders stuck in `executing` since before `before_ms` (their process died mid-run). */
export async function stuckExecuting(
  ex: Executor,
  before_ms: number,
  limit: number,
): Promise<Order[]> {
  const rows = await q(ex)
    .selectFrom("orders")
    .selectAll()
    .where("status", "=", "executing")
    .where("updated_at_ms", "<", before_ms)
    .limit(limit)
    .execute();
  return rows.map(toOrder);
}

/** Closes the runs of an order that were still running when their process died. */
export async function abandonRuns(ex: Executor, order_id: string, now_ms: number): Promise<void> {
  await q(ex)
    .updateTable("order_runs")
    .set({
      status: "failed",
      finished_at_ms: now_ms,
      error: "interrupted: the hub stopped during the run",
    })
    .where("order_id", "=", order_id)
    .where("status", "=", "running")
    .execute();
}

/** Outcomes of the orders bought under these pairings (a machine's agents), newest first. */
export async function outcomesOfPairings(
  ex: Executor,
  pairing_ids: string[],
  before: string | null,
  limit: number,
): Promise<
  (Outcome & {
    service_id: string;
    skill_key: string;
    amount_minor: bigint;
    asset: string;
    pairing_id: string;
  })[]
> {
  if (pairing_ids.length === 0) return [];
  let query = q(ex)
    .selectFrom("order_outcomes as oc")
    .innerJoin("orders as o", "o.id", "oc.order_id")
    .select([
      "oc.id",
      "oc.run_id",
      "oc.order_id",
      "oc.result_sha256",
      "oc.result",
      "oc.created_at_ms",
      "o.service_id",
      "o.skill_key",
      "o.amount_minor",
      "o.asset",
      "o.pairing_id",
    ])
    .where("o.pairing_id", "in", pairing_ids);
  if (before) query = query.where("oc.id", "<", before);
  const rows = await query.orderBy("oc.id", "desc").limit(limit).execute();
  return rows.map((r) => ({
    ...r,
    result: JSON.parse(r.result) as unknown,
    created_at_ms: num(r.created_at_ms),
    amount_minor: big(r.amount_minor),
    pairing_id: r.pairing_id as string,
  }));
}
