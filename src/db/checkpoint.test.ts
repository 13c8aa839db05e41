import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, expect, it } from "vitest";
import { limits } from "../kernel/limits.ts";
import { openDatabase } from "./db.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Rows of `t` in the database file alone (a copy of it without its WAL); 0 before `t` is. */
function rowsInMainFile(file: string, dir: string): number {
  const copy = join(dir, `copy-${Date.now()}.db`);
  copyFileSync(file, copy);
  const db = new BetterSqlite3(copy, { readonly: true });
  try {
    const table = db.prepare("select 1 from sqlite_master where name = 't'").get();
    return table ? (db.prepare("select count(*) as n from t").get() as { n: number }).n : 0;
  } finally {
    db.close();
  }
}

it("copies committed rows into the database file while the serving connection only appends", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agx-ckpt-"));
  dirs.push(dir);
  const file = join(dir, "agx.db");
  const db = openDatabase({ kind: "sqlite", file });
  await sql`create table t (id integer primary key, v text)`.execute(db.kysely);
  for (let i = 0; i < 20; i++)
    await sql`insert into t (v) values (${`row ${i}`})`.execute(db.kysely);
  // Far below the serving connection's own threshold: only the worker can have copied them.
  expect(20).toBeLessThan(limits.sqlite_wal_autocheckpoint_pages);
  const deadline = Date.now() + 5_000;
  while (rowsInMainFile(file, dir) < 20 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, limits.sqlite_checkpoint_interval_ms));
  }
  expect(rowsInMainFile(file, dir)).toBe(20);
  await db.close();
  // The serving connection closed last, so SQLite removed the WAL as it always did.
  expect(existsSync(`${file}-wal`)).toBe(false);
});
