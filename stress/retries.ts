import { drivers, notDriven, type Req, retryWorld } from "./retries-drivers.ts";
import {
  createStore,
  HubNode,
  newAdminKey,
  openReader,
  type StoreReader,
} from "./support/cluster.ts";
import { Api, mainArgs, type Outcome, sendAndDrop } from "./support/ops.ts";
import { buildWorld } from "./support/ops-world.ts";

/**
 * Retries harness (issue 12, item 2): every state-changing operation of GET /openapi.json is
 * called once as a control, then called again on fresh preconditions with its answer dropped
 * (the socket closed before reading) and retried three times with the same Idempotency-Key.
 * The rows it added must be exactly the control's: one effect, however often it is asked.
 *
 *   npm run stress:retries -- [sqlite|postgres]
 */

/** Tables whose rows change on their own (workers, clocks, the keys themselves). */
const volatile = new Set([
  "idem_requests",
  "outbox_messages",
  "webhook_attempts",
  "ratelimit_windows",
  "dpop_jtis",
  "stats_service_health",
  "stats_refreshes",
  "agx_migrations",
  "agx_migrations_lock",
  // An fts5vocab view of the full-text index: its "rows" are distinct words, not effects.
  "catalog_search_vocab",
]);

export interface RetryRow {
  operation: string;
  route: string;
  status: number | string;
  /** Rows added per table by the control call and by drop + 3 retries, when they differ. */
  diff: string | null;
  ok: boolean;
  note: string;
}

export interface RetryReport {
  store: string;
  rows: RetryRow[];
  skipped: { operation: string; route: string; reason: string }[];
  /** Operations in the document with neither a driver nor a reason: new routes to cover. */
  uncovered: string[];
  failures: string[];
  duration_ms: number;
}

async function tableCounts(reader: StoreReader, tables: string[]) {
  // One statement for every table: the counts are one consistent-enough snapshot, and cheap.
  const union = tables
    .map((t) => `select '${t}' as t, count(*) as n from ${t}`)
    .join(" union all ");
  const rows = await reader.rows<{ t: string; n: unknown }>(union);
  return new Map(rows.map((r) => [r.t, Number(r.n)]));
}

async function tablesOf(reader: StoreReader, kind: string): Promise<string[]> {
  const rows =
    kind === "sqlite"
      ? await reader.rows<{ name: string }>(
          "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
        )
      : await reader.rows<{ name: string }>(
          "select table_name as name from information_schema.tables where table_schema = current_schema()",
        );
  return rows.map((r) => r.name).filter((n) => !volatile.has(n));
}

const delta = (a: Map<string, number>, b: Map<string, number>) =>
  [...b]
    .map(([t, n]) => [t, n - (a.get(t) ?? 0)] as const)
    .filter(([, d]) => d !== 0)
    .map(([t, d]) => `${t}+${d}`)
    .sort()
    .join(" ");

const statusOf = (o: Outcome) => (o.kind === "unknown" ? `unknown (${o.error})` : o.reply.status);

/** Runs every driven operation once as control and once dropped + retried thrice. */
export async function runRetries(o: {
  store: "sqlite" | "postgres";
  pg_url?: string;
  log?: (l: string) => void;
}): Promise<RetryReport> {
  const log = o.log ?? (() => {});
  const started = Date.now();
  const { store, drop } = await createStore(o.store, o.pg_url);
  const admin = newAdminKey();
  const node = new HubNode({ store, admin_key: admin });
  const reader = { current: null as StoreReader | null };
  try {
    await node.start();
    const api = new Api(() => [node.url], {
      deadline_ms: 30_000,
      backoff_min_ms: 25,
      backoff_max_ms: 500,
    });
    const world = await retryWorld(
      api,
      await buildWorld(api, admin, { clients: 1, buyer_funds: "50", budget: "1" }),
    );
    reader.current = await openReader(store);
    const tables = await tablesOf(reader.current, o.store);
    const doc = await api.must("GET", "/openapi.json");
    const report: RetryReport = {
      store: o.store,
      rows: [],
      skipped: [],
      uncovered: [],
      failures: [],
      duration_ms: 0,
    };
    for (const [route, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { operationId?: string }>>,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        if (!["post", "put", "patch", "delete"].includes(method)) continue;
        const id = op.operationId ?? `${method} ${route}`;
        const where = `${method.toUpperCase()} ${route}`;
        const driver = drivers[id];
        if (!driver) {
          if (notDriven[id])
            report.skipped.push({ operation: id, route: where, reason: notDriven[id] });
          else report.uncovered.push(`${id} (${where})`);
          continue;
        }
        const row = await exercise(api, reader.current, tables, id, where, () => driver(world));
        log(`${row.ok ? "ok " : "BAD"} ${id} ${row.status} ${row.note}`);
        report.rows.push(row);
      }
    }
    for (const r of report.rows)
      if (!r.ok) report.failures.push(`${r.operation}: ${r.note} ${r.diff ?? ""}`);
    for (const u of report.uncovered) report.failures.push(`not covered: ${u}`);
    report.duration_ms = Date.now() - started;
    return report;
  } finally {
    await reader.current?.close();
    await node.stop();
    await drop();
  }
}

async function exercise(
  api: Api,
  reader: StoreReader,
  tables: string[],
  operation: string,
  route: string,
  prepare: () => Promise<Req>,
): Promise<RetryRow> {
  const row = (ok: boolean, status: number | string, note: string, diff: string | null = null) => ({
    operation,
    route,
    status,
    ok,
    note,
    diff,
  });
  let control: Req;
  let dropped: Req;
  try {
    control = await prepare();
  } catch (error) {
    return row(false, "-", `preconditions failed: ${(error as Error).message.slice(0, 300)}`);
  }
  const spec = (r: Req, idem: string) => ({
    ...(r.key ? { key: r.key } : {}),
    ...(r.headers ? { headers: r.headers } : {}),
    ...(r.body !== undefined ? { body: r.body } : {}),
    idem,
  });
  const a = await tableCounts(reader, tables);
  const first = await api.call(control.method, control.path, spec(control, `ctl-${operation}`));
  const b = await tableCounts(reader, tables);
  const expected = delta(a, b);
  if (first.kind !== "acked")
    return row(
      false,
      statusOf(first),
      `control call not acknowledged: ${JSON.stringify(first.kind === "refused" ? first.reply.body : first.error).slice(0, 300)}`,
    );
  try {
    dropped = await prepare();
  } catch (error) {
    return row(false, "-", `preconditions failed: ${(error as Error).message.slice(0, 300)}`);
  }
  const c = await tableCounts(reader, tables);
  const key = `drop-${operation}`;
  await sendAndDrop(api.base(), dropped.method, dropped.path, spec(dropped, key));
  const retries: Outcome[] = [];
  for (let i = 0; i < 3; i++)
    retries.push(await api.call(dropped.method, dropped.path, spec(dropped, key)));
  const d = await tableCounts(reader, tables);
  const got = delta(c, d);
  const statuses = retries.map(statusOf);
  const replayed = retries.filter(
    (r) => r.kind !== "unknown" && r.reply.headers["idempotent-replayed"] === "true",
  ).length;
  if (statuses.some((s) => s !== first.reply.status))
    return row(
      false,
      statuses.join("/"),
      `retries answered ${statuses.join(", ")}; control ${first.reply.status}`,
      `control: ${expected}; retried: ${got}`,
    );
  if (got !== expected)
    return row(
      false,
      first.reply.status,
      "a retried call had a different effect than one call",
      `control: ${expected || "none"}; retried: ${got || "none"}`,
    );
  return row(
    true,
    first.reply.status,
    `one effect (${expected || "no rows"}), ${replayed}/3 replayed`,
  );
}

/** Prints the table of operations. */
export function printRetries(r: RetryReport, out: (s: string) => void = console.log): void {
  out(
    `\n== retries harness: ${r.store}, ${r.rows.length} operations driven in ${r.duration_ms} ms ==`,
  );
  for (const x of r.rows)
    out(
      `  ${x.ok ? "✓" : "✗"} ${x.operation.padEnd(32)} ${String(x.status).padEnd(5)} ${x.note}${x.diff ? ` [${x.diff}]` : ""}`,
    );
  out(`  not driven (${r.skipped.length}):`);
  for (const s of r.skipped) out(`    - ${s.operation} (${s.route}): ${s.reason}`);
  out(r.failures.length === 0 ? "OK: 0 failures" : `FAILURES (${r.failures.length}):`);
  for (const f of r.failures) out(`  ✗ ${f}`);
}

const args = mainArgs(import.meta.url);
if (args) {
  const which = args[0] ?? process.env.STRESS_STORE ?? "sqlite";
  const stores =
    which === "both" ? (["sqlite", "postgres"] as const) : [which as "sqlite" | "postgres"];
  let failed = false;
  for (const store of stores) {
    const report = await runRetries({ store });
    printRetries(report);
    failed ||= report.failures.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}
