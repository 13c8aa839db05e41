/**
 * Ledger transfers per second, single and batched (and 16 concurrent clients on PostgreSQL),
 * each beside a baseline measured in the same run on the same database: a bare insert loop with
 * the same transaction shape. The ledger must verify afterwards; that is the only failure.
 */
import { sql } from "kysely";
import type { Database } from "../src/db/db.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { systemClock } from "../src/kernel/clock.ts";
import { newId } from "../src/kernel/ids.ts";
import { type Account, createLedger } from "../src/ledger/index.ts";
import { allMigrations } from "../src/main.ts";
import { onEachDatabase, pad, ratioText } from "./support.ts";

const ledger = createLedger({ clock: systemClock });

export interface LedgerRow {
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
  const rows: LedgerRow[] = [];
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

/** Ledger transfer rates on both databases beside the bare insert loop of the same run. */
export async function benchLedger(scale: number): Promise<LedgerRow[]> {
  const rows = await onEachDatabase("ledger", { pool_size_max: 20 }, (name, db) =>
    name === "sqlite"
      ? benchDatabase(name, db, Math.round(3000 * scale), Math.round(30000 * scale))
      : benchDatabase(name, db, Math.round(1500 * scale), Math.round(15000 * scale)),
  );
  return rows.flat();
}

/** The table of benchLedger's rows. */
export function ledgerTable(rows: LedgerRow[]): string {
  const lines = [
    "\nledger transfers vs bare insert loop (same database, same run)\n",
    `${"database".padEnd(10)}${"case".padEnd(24)}${pad("ops", 8)}${pad("transfers/s", 14)}` +
      `${pad("baseline/s", 14)}${pad("ratio", 8)}`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.database.padEnd(10)}${r.case.padEnd(24)}${pad(String(r.ops), 8)}` +
        `${pad(Math.round(r.ops_per_s).toString(), 14)}` +
        `${pad(Math.round(r.baseline_ops_per_s).toString(), 14)}` +
        `${pad(ratioText(r.ops_per_s, r.baseline_ops_per_s), 8)}`,
    );
  }
  lines.push("\nratio = ledger transfers per second / bare inserts per second\n");
  return lines.join("\n");
}
