/** SQL of routed calls (`federation_calls`): guarded ends, the stuck-call sweep, trust stats. */
import { big, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { CallState, RoutedCall } from "./model.ts";

type Int = number | bigint;

interface CallRow {
  id: string;
  caller_id: string;
  peer_id: string;
  product_id: string;
  capability_id: string;
  asset: string;
  price_minor: Int;
  fee_bps: Int;
  fee_minor: Int;
  routed_minor: Int;
  state: string;
  hold_id: string;
  provider_status: Int | null;
  provider_receipt: string | null;
  error: string | null;
  latency_ms: Int | null;
  created_at_ms: Int;
  finished_at_ms: Int | null;
}

const q = (ex: Executor) => tablesOf<{ federation_calls: CallRow }>(ex);

function toCall(r: CallRow): RoutedCall {
  return {
    id: r.id,
    caller_id: r.caller_id,
    peer_id: r.peer_id,
    product_id: r.product_id,
    capability_id: r.capability_id,
    asset: r.asset,
    price_minor: big(r.price_minor),
    fee_bps: num(r.fee_bps),
    fee_minor: big(r.fee_minor),
    routed_minor: big(r.routed_minor),
    state: r.state as CallState,
    hold_id: r.hold_id,
    provider_status: numOrNull(r.provider_status),
    provider_receipt: r.provider_receipt
      ? (JSON.parse(r.provider_receipt) as Record<string, unknown>)
      : null,
    error: r.error,
    latency_ms: numOrNull(r.latency_ms),
    created_at_ms: num(r.created_at_ms),
    finished_at_ms: numOrNull(r.finished_at_ms),
  };
}

export async function insertCall(ex: Executor, call: RoutedCall): Promise<void> {
  await q(ex)
    .insertInto("federation_calls")
    .values({
      ...call,
      provider_receipt: call.provider_receipt ? JSON.stringify(call.provider_receipt) : null,
    })
    .execute();
}

export async function callById(ex: Executor, id: string): Promise<RoutedCall | null> {
  const row = await q(ex)
    .selectFrom("federation_calls")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toCall(row) : null;
}

/** Ends a call that is still `routing`; false when another process ended it first. */
export async function finishCall(
  ex: Executor,
  id: string,
  end: {
    state: CallState;
    price_minor: bigint;
    fee_minor: bigint;
    routed_minor: bigint;
    provider_status: number | null;
    provider_receipt: Record<string, unknown> | null;
    error: string | null;
    latency_ms: number | null;
    now_ms: number;
  },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("federation_calls")
    .set({
      state: end.state,
      price_minor: end.price_minor,
      fee_minor: end.fee_minor,
      routed_minor: end.routed_minor,
      provider_status: end.provider_status,
      provider_receipt: end.provider_receipt ? JSON.stringify(end.provider_receipt) : null,
      error: end.error,
      latency_ms: end.latency_ms,
      finished_at_ms: end.now_ms,
    })
    .where("id", "=", id)
    .where("state", "=", "routing")
    .executeTakeFirst();
  return num(r.numUpdatedRows) === 1;
}

/** Calls still `routing` that started before `before_ms` (lost to a crash). */
export async function stuckCalls(
  ex: Executor,
  before_ms: number,
  limit: number,
): Promise<RoutedCall[]> {
  const rows = await q(ex)
    .selectFrom("federation_calls")
    .selectAll()
    .where("state", "=", "routing")
    .where("created_at_ms", "<", before_ms)
    .orderBy("created_at_ms")
    .limit(limit)
    .execute();
  return rows.map(toCall);
}

/** Per peer and asset since `since_ms`: routed calls, settled ones and their routed volume. */
export async function callStats(ex: Executor, since_ms: number) {
  const rows = await q(ex)
    .selectFrom("federation_calls")
    .select((eb) => [
      "peer_id",
      "asset",
      "state",
      eb.fn.countAll().as("n"),
      eb.fn.sum("routed_minor").as("volume_minor"),
    ])
    .where("created_at_ms", ">=", since_ms)
    .where("state", "<>", "routing")
    .groupBy(["peer_id", "asset", "state"])
    .execute();
  return rows.map((r) => ({
    peer_id: r.peer_id,
    asset: r.asset,
    state: r.state as CallState,
    calls: num(r.n as Int),
    volume_minor: big(r.volume_minor as Int | string | null),
  }));
}
