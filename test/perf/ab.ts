/**
 * Side by side, in one process on one database, interleaved so both sides see the same machine
 * load: the authenticated-request, catalogue-lookup and receipt-storing steps as they were before
 * the hot-path work (the same SQL, replayed here) and as they are now. CPU µs and statements per
 * operation. Not a test: a measuring tape.
 *
 *   node bin/run-ts.js test/perf/ab.ts [sqlite|postgres] [operations per round]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { serviceFromJson } from "../../src/catalog/serialize.ts";
import { loadConfig } from "../../src/config.ts";
import { type Database, type Executor, openDatabase } from "../../src/db/db.ts";
import { sha256Hex } from "../../src/kernel/json.ts";
import { createHub } from "../../src/main.ts";

const args = process.argv.slice(process.argv.findIndex((a) => a.endsWith("ab.ts")) + 1);
const kind = args[0] === "postgres" ? "postgres" : "sqlite";
const perRound = Number(args[1] ?? 200);
const ROUNDS = 6;

let statements = 0;
const probe = new BetterSqlite3(":memory:");
const Statement = Object.getPrototypeOf(probe.prepare("select 1")) as Record<string, unknown>;
probe.close();
for (const m of ["run", "all", "get", "iterate"]) {
  const original = Statement[m] as (...a: unknown[]) => unknown;
  Statement[m] = function (this: unknown, ...a: unknown[]) {
    statements++;
    return original.apply(this, a);
  };
}
const pgQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: unknown, ...a: unknown[]) {
  statements++;
  return pgQuery.apply(this, a);
} as typeof pg.Client.prototype.query;

async function open(): Promise<{ db: Database; cleanup: () => Promise<void>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "agx-ab-"));
  if (kind === "sqlite") {
    const db = openDatabase({ kind: "sqlite", file: join(dir, "agx.db") });
    return { db, dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const url = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `agx_ab_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const db = openDatabase({ kind: "postgres", url, schema, pool_size_max: 10 });
  return {
    db,
    dir,
    cleanup: async () => {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const { db, cleanup, dir } = await open();
const config = loadConfig({
  env: {},
  overrides: { port: 0, log_level: "silent", data_dir: dir, workers: false },
});
const hub = await createHub(config, { database: db });
const { ctx } = hub;
const secret = hub.first_admin_key as string;
const ex = db.kysely as Executor;
const PRODUCT = "builtin-text-stats-analyze";

// The steps as they were: the same statements the earlier code sent.
async function authenticateBefore() {
  const hash = sha256Hex(secret);
  const key = await ex
    .selectFrom("identity_api_keys")
    .selectAll()
    .where("secret_sha256", "=", hash)
    .where("revoked_at_ms", "is", null)
    .executeTakeFirst();
  if (!key) throw new Error("the admin key authenticates");
  const principal = await ex
    .selectFrom("identity_principals")
    .selectAll()
    .where("id", "=", key.principal_id)
    .executeTakeFirst();
  const now_ms = Date.now();
  await ex
    .updateTable("identity_api_keys")
    .set({ last_used_at_ms: now_ms })
    .where("id", "=", key.id)
    .where((eb) =>
      eb.or([eb("last_used_at_ms", "is", null), eb("last_used_at_ms", "<", now_ms - 60_000)]),
    )
    .execute();
  return { key, principal };
}

async function lookupBefore() {
  const row = await ex
    .selectFrom("catalog_services")
    .selectAll()
    .where("name", "=", PRODUCT)
    .where("latest", "=", 1)
    .executeTakeFirst();
  if (!row) throw new Error(`${PRODUCT} is seeded`);
  const service = serviceFromJson(row.body);
  const skill = await ex
    .selectFrom("catalog_skills")
    .selectAll()
    .where("key", "=", service.skill_key)
    .where("latest", "=", 1)
    .executeTakeFirst();
  if (!skill) throw new Error(`${service.skill_key} is seeded`);
  return { service, operations: JSON.parse(skill.operations), tags: JSON.parse(skill.tags) };
}

async function lookupNow() {
  const service = await ctx.catalog.serviceByName(ex, PRODUCT);
  return ctx.catalog.getSkill(ex, service?.skill_key ?? "");
}

const receipt = (order_id: string) => ({
  kind: "payment" as const,
  subject: "prn_bench",
  order_id,
  chain_key: order_id,
  money: { amount_minor: 1000n, asset: "USDC", decimals: 6 },
  payment_rail: "prepaid",
});
let orders = 0;
/** Two receipts in one transaction; a bare Kysely transaction has no pre-commit hooks. */
async function receiptsBefore() {
  const order_id = `ord_ab_before_${orders++}`;
  await ex.transaction().execute(async (tx) => {
    const cursor = { head: null };
    await ctx.receipts.issue(tx, receipt(order_id), { cursor });
    await ctx.receipts.issue(tx, { ...receipt(order_id), kind: "result" }, { cursor });
  });
}
async function receiptsNow() {
  const order_id = `ord_ab_now_${orders++}`;
  await db.transaction(async (tx) => {
    const cursor = { head: null };
    await ctx.receipts.issue(tx, receipt(order_id), { cursor });
    await ctx.receipts.issue(tx, { ...receipt(order_id), kind: "result" }, { cursor });
  });
}

const pairs: [string, () => Promise<unknown>][] = [
  ["authenticate before", authenticateBefore],
  ["authenticate now", () => ctx.identity.authenticate(ex, secret)],
  ["catalogue lookup before", lookupBefore],
  ["catalogue lookup now (2 calls)", lookupNow],
  ["catalogue lookup joined", () => ctx.catalog.serviceWithSkill(ex, PRODUCT)],
  ["2 receipts in a tx before", receiptsBefore],
  ["2 receipts in a tx now", receiptsNow],
  ["empty transaction", () => db.transaction(async () => {})],
];
const totals = new Map<
  string,
  { cpu_us: number; wall_us: number; statements: number; n: number }
>();
try {
  process.stdout.write(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}\n`,
  );
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, run] of pairs) {
      const s0 = statements;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < perRound; i++) await run();
      const wall_us = (performance.now() - t0) * 1000;
      const c = process.cpuUsage(c0);
      if (round === 0) continue; // warm-up
      const t = totals.get(name) ?? { cpu_us: 0, wall_us: 0, statements: 0, n: 0 };
      t.cpu_us += c.user + c.system;
      t.wall_us += wall_us;
      t.statements += statements - s0;
      t.n += perRound;
      totals.set(name, t);
    }
  }
  for (const [name, t] of totals) {
    process.stdout.write(
      `${kind.padEnd(9)}${name.padEnd(34)}statements/op ${(t.statements / t.n).toFixed(2)}` +
        `  cpu µs/op ${(t.cpu_us / t.n).toFixed(1)}  wall µs/op ${(t.wall_us / t.n).toFixed(1)}\n`,
    );
  }
  process.stdout.write(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}\n`,
  );
} finally {
  await hub.close();
  await cleanup();
}
