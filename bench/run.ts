/**
 * Benchmarks: ledger transfers per second, single and batched, on SQLite and PostgreSQL, each
 * printed beside a baseline measured in the same run on the same database (a bare insert loop
 * with the same transaction shape), as a ratio. Figures, not assertions.
 *
 *   npm run bench                 # both databases (PostgreSQL from BENCH_DATABASE_URL)
 *   BENCH_SCALE=0.2 npm run bench # quicker
 *   BENCH_ONLY=search npm run bench # one section: ledger, receipts or search
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { type Database, openDatabase } from "../src/db/db.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { systemClock } from "../src/kernel/clock.ts";
import { newId } from "../src/kernel/ids.ts";
import { type Account, createLedger } from "../src/ledger/index.ts";
import { allMigrations } from "../src/main.ts";
import { benchReceipts } from "./receipts.ts";
import { benchSearch } from "./search.ts";

const scale = Number(process.env.BENCH_SCALE ?? "1");
const pgUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ledger = createLedger({ clock: systemClock });

interface Row {
  database: string;
  case: string;
  ops: number;
  ops_per_s: number;
  baseline_ops_per_s: number;
}

async function timed(ops: number, work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return ops / seconds;
}

async function setup(db: Database): Promise<Account[]> {
  await migrateToLatest(db, allMigrations);
  await sql`create table bench_rows (id text primary key, amount_minor bigint not null)`.execute(
    db.kysely,
  );
  await db.transaction((tx) => ledger.registerAssets(tx, [{ code: "USDC", decimals: 6 }]));
  const accounts: Account[] = [];
  for (let i = 0; i < 16; i++) {
    const owner = newId("prn");
    await db.transaction((tx) =>
      ledger.deposit(tx, {
        id: newId("dep"),
        owner_id: owner,
        amount_minor: 10n ** 15n,
        asset: "USDC",
      }),
    );
    const a = await ledger.accountsOf(db.kysely, owner);
    accounts.push(a[0] as Account);
  }
  return accounts;
}

function transferOf(accounts: Account[], i: number) {
  const from = accounts[i % accounts.length] as Account;
  const to = accounts[(i + 1) % accounts.length] as Account;
  return {
    op: "transfer" as const,
    id: newId("tr"),
    debit_account_id: from.id,
    credit_account_id: to.id,
    amount_minor: 1n,
    asset: "USDC",
    code: "bench",
  };
}

async function benchDatabase(name: string, db: Database, singles: number, batched: number) {
  const accounts = await setup(db);
  const rows: Row[] = [];
  const baseSingle = await timed(singles, async () => {
    for (let i = 0; i < singles; i++) {
      await db.transaction((tx) =>
        tx
          .insertInto("bench_rows")
          .values({ id: newId("b"), amount_minor: 1n })
          .execute(),
      );
    }
  });
  const single = await timed(singles, async () => {
    for (let i = 0; i < singles; i++) {
      await db.transaction((tx) => ledger.transfer(tx, transferOf(accounts, i)));
    }
  });
  rows.push({
    database: name,
    case: "single transfer / tx",
    ops: singles,
    ops_per_s: single,
    baseline_ops_per_s: baseSingle,
  });

  const batch = 100;
  const baseBatch = await timed(batched, async () => {
    for (let i = 0; i < batched; i += batch) {
      await db.transaction(async (tx) => {
        for (let j = 0; j < batch; j++) {
          await tx
            .insertInto("bench_rows")
            .values({ id: newId("b"), amount_minor: 1n })
            .execute();
        }
      });
    }
  });
  const batchedRate = await timed(batched, async () => {
    for (let i = 0; i < batched; i += batch) {
      await db.transaction((tx) =>
        ledger.createTransfers(
          tx,
          Array.from({ length: batch }, (_, j) => transferOf(accounts, i + j)),
        ),
      );
    }
  });
  rows.push({
    database: name,
    case: "100 transfers / tx",
    ops: batched,
    ops_per_s: batchedRate,
    baseline_ops_per_s: baseBatch,
  });

  if (name === "postgres") {
    const clients = 16;
    const per = Math.max(1, Math.floor(singles / clients));
    const baseConc = await timed(per * clients, async () => {
      await Promise.all(
        Array.from({ length: clients }, async () => {
          for (let i = 0; i < per; i++) {
            await db.transaction((tx) =>
              tx
                .insertInto("bench_rows")
                .values({ id: newId("b"), amount_minor: 1n })
                .execute(),
            );
          }
        }),
      );
    });
    const conc = await timed(per * clients, async () => {
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          for (let i = 0; i < per; i++) {
            await db.transaction((tx) => ledger.transfer(tx, transferOf(accounts, c)));
          }
        }),
      );
    });
    rows.push({
      database: name,
      case: "16 concurrent clients",
      ops: per * clients,
      ops_per_s: conc,
      baseline_ops_per_s: baseConc,
    });
  }
  const report = await ledger.verify(db.kysely);
  if (!report.ok)
    throw new Error(
      `ledger did not verify after the benchmark: ${JSON.stringify(report.failures)}`,
    );
  return rows;
}

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function pgAdmin(text: string) {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(text);
  await c.end();
}

const only = process.env.BENCH_ONLY ?? "all";
const results: Row[] = [];
if (only === "all" || only === "ledger") await benchLedger();

async function benchLedger() {
  const dir = mkdtempSync(join(tmpdir(), "agx-bench-"));
  const lite = openDatabase({ kind: "sqlite", file: join(dir, "bench.db") });
  try {
    results.push(
      ...(await benchDatabase("sqlite", lite, Math.round(3000 * scale), Math.round(30000 * scale))),
    );
  } finally {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (await pgReachable()) {
    const schema = `agx_bench_${process.pid}`;
    await pgAdmin(`create schema ${schema}`);
    const db = openDatabase({ kind: "postgres", url: pgUrl, schema, pool_size_max: 20 });
    try {
      results.push(
        ...(await benchDatabase(
          "postgres",
          db,
          Math.round(1500 * scale),
          Math.round(15000 * scale),
        )),
      );
    } finally {
      await db.close();
      await pgAdmin(`drop schema ${schema} cascade`);
    }
  } else {
    process.stdout.write(`PostgreSQL not reachable at ${pgUrl}: skipped\n`);
  }
}

process.stdout.write("\nledger transfers vs bare insert loop (same database, same run)\n\n");
process.stdout.write(
  `${"database".padEnd(10)}${"case".padEnd(24)}${"ops".padStart(8)}${"transfers/s".padStart(14)}` +
    `${"baseline/s".padStart(14)}${"ratio".padStart(8)}\n`,
);
for (const r of results) {
  process.stdout.write(
    `${r.database.padEnd(10)}${r.case.padEnd(24)}${String(r.ops).padStart(8)}` +
      `${Math.round(r.ops_per_s).toString().padStart(14)}` +
      `${Math.round(r.baseline_ops_per_s).toString().padStart(14)}` +
      `${(r.ops_per_s / r.baseline_ops_per_s).toFixed(2).padStart(8)}\n`,
  );
}
process.stdout.write("\nratio = ledger transfers per second / bare inserts per second\n");

const receiptRows = only === "all" || only === "receipts" ? await benchReceipts(scale) : [];
process.stdout.write("\nreceipts: agx vs @peac/crypto (same key, same payload, same run)\n\n");
process.stdout.write(
  `${"case".padEnd(26)}${"agx/s".padStart(12)}${"peac/s".padStart(12)}${"ratio".padStart(8)}\n`,
);
for (const r of receiptRows) {
  process.stdout.write(
    `${r.case.padEnd(26)}${Math.round(r.agx).toString().padStart(12)}` +
      `${Math.round(r.peer).toString().padStart(12)}${(r.agx / r.peer).toFixed(2).padStart(8)}\n`,
  );
}

const search =
  only === "all" || only === "search" ? await benchSearch(scale) : { inserts: [], searches: [] };
process.stdout.write(
  "\ncatalogue search: HTTP market search vs raw full-text query (same database, same run)\n\n",
);
for (const r of search.inserts) {
  process.stdout.write(
    `${r.database.padEnd(10)}${r.services} services loaded at ${Math.round(r.services_per_s)}/s ` +
      `(publishService, 1000 per tx, load-only index); then one publish per tx at ` +
      `${r.publish_per_s.toFixed(1)}/s\n`,
  );
}
process.stdout.write(
  `\n${"database".padEnd(10)}${"case".padEnd(24)}${"n".padStart(5)}${"p50 ms".padStart(9)}` +
    `${"p99 ms".padStart(9)}${"raw p50".padStart(9)}${"raw p99".padStart(9)}` +
    `${"x p50".padStart(8)}${"x p99".padStart(8)}${"results".padStart(9)}` +
    `${"target p50/p99".padStart(16)}\n`,
);
for (const r of search.searches) {
  process.stdout.write(
    `${r.database.padEnd(10)}${r.case.padEnd(24)}${String(r.samples).padStart(5)}` +
      `${r.p50_ms.toFixed(2).padStart(9)}${r.p99_ms.toFixed(2).padStart(9)}` +
      `${r.raw_p50_ms.toFixed(2).padStart(9)}${r.raw_p99_ms.toFixed(2).padStart(9)}` +
      `${(r.p50_ms / r.raw_p50_ms).toFixed(2).padStart(8)}` +
      `${(r.p99_ms / r.raw_p99_ms).toFixed(2).padStart(8)}` +
      `${r.results_mean.toFixed(1).padStart(9)}${r.target.padStart(16)}\n`,
  );
}
process.stdout.write(
  "\nraw = the catalogue store's searchServices (FTS5 bm25 / tsvector ts_rank, up to " +
    "200 candidates)\nwith the same tokens and filters; x = HTTP / raw; results = quotes per " +
    "answer; targets (issue #3,\nembedded, default limit) are printed, not asserted.\n",
);
for (const r of search.searches.filter((x) => x.case.endsWith("limit 10"))) {
  process.stdout.write(
    `${r.database}: raw query returned ${r.candidates_mean.toFixed(0)} candidate rows on average\n`,
  );
}
