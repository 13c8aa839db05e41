import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../db/db.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { manualClock } from "../kernel/clock.ts";
import { allMigrations } from "../main.ts";
import { createKeySet } from "../receipts/index.ts";
import { type Catalog, createCatalog, type ServiceInput } from "./index.ts";
import { createSearchRowCache } from "./search-rows.ts";
import { searchHits } from "./search-store.ts";

const svc = (name: string, description: string): ServiceInput => ({
  name,
  version: "1.0.0",
  skill_key: "rowcache.stamp",
  description,
  company_name: "Acme",
  execution_mode: "native",
  endpoints: [{ url: "https://p.example/run", method: "POST", protocols: ["agx"], networks: [] }],
  handoff: null,
  region: "eu-west",
  tags: [],
  pricing: {
    model: "fixed",
    asset: "USDC",
    amount_minor: 10_000n,
    unit: "request",
    amount_minor_per_unit: null,
    minimum_minor: null,
    notes: [],
  },
  rails: ["agx-ledger"],
  integration_status: "live",
  maturity: "beta",
});

const skill = {
  key: "rowcache.stamp",
  version: "1.0.0",
  label: "stamp",
  description: "stamping",
  tags: [],
  operations: [
    {
      name: "run",
      description: "stamps",
      input_schema: { type: "object" },
      output_schema: { type: "object" },
      examples: [],
    },
  ],
};

describe("search rows kept in memory (SQLite)", () => {
  let dir: string;
  let db: Database;
  let catalog: Catalog;
  const clock = manualClock(Date.UTC(2026, 10, 24));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "agx-rowcache-"));
    db = openDatabase({ kind: "sqlite", file: join(dir, "agx.db") });
    await migrateToLatest(db, allMigrations);
    const keys = createKeySet({ clock, overlap_ms: 1e9, cache_ms: 0 });
    await keys.ensure(db.kysely);
    catalog = createCatalog({
      clock,
      dialect: "sqlite",
      signQuote: (ex, payload) => keys.signCompact(ex, "agx-quote+jwt", payload),
      checkUrl: async () => {},
    });
    await db.transaction((tx) => catalog.publishSkill(tx, "prn_s", skill));
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const names = async (query: string) =>
    (await catalog.search(db.kysely, query, {}, {}, { limit: 10 })).map((r) => r.service.name);
  const rids = async () =>
    (
      await sql<{ rid: number | bigint }>`select rid from catalog_search_rows order by rid`.execute(
        db.kysely,
      )
    ).rows.map((r) => Number(r.rid));

  it("never serves a retired newest service's row for the service published after it", async () => {
    await db.transaction(async (tx) => {
      await catalog.publishService(tx, "prn_p", svc("older", "quokka parcels"));
      await catalog.publishService(tx, "prn_p", svc("newest", "quokka parcels"));
    });
    expect((await names("quokka")).sort()).toEqual(["newest", "older"]);
    const before = await rids();
    const newest = (await catalog.search(db.kysely, "quokka", {}, {}, { limit: 10 })).find(
      (r) => r.service.name === "newest",
    );
    if (!newest) throw new Error("found above");
    await db.transaction((tx) => catalog.retireService(tx, "prn_p", newest.service.id));
    await db.transaction((tx) =>
      catalog.publishService(tx, "prn_p", svc("successor", "quokka wombat")),
    );
    // The successor's row takes a rid above every rid ever given, never the retired one's.
    expect(Math.min(...(await rids()).filter((r) => !before.includes(r)))).toBeGreaterThan(
      Math.max(...before),
    );
    expect((await names("quokka")).sort()).toEqual(["older", "successor"]);
    expect(await names("wombat")).toEqual(["successor"]);
  });

  it("answers a search the same with rows from memory as with rows from the table", async () => {
    await db.transaction(async (tx) => {
      for (let i = 0; i < 30; i++) {
        const words = i % 3 === 0 ? "heron heron marsh" : i % 3 === 1 ? "heron reed" : "marsh reed";
        await catalog.publishService(tx, "prn_p", svc(`bird-${i}`, words));
      }
    });
    const rows = createSearchRowCache();
    for (const tokens of [["heron"], ["marsh", "reed"], ["her"], ["heron", "zzz"]]) {
      const fromTable = await searchHits(db.kysely, "sqlite", tokens, {}, 50);
      const cold = await searchHits(db.kysely, "sqlite", tokens, {}, 50, { rows });
      const warm = await searchHits(db.kysely, "sqlite", tokens, {}, 50, { rows });
      expect(cold).toEqual(fromTable);
      expect(warm).toEqual(fromTable);
    }
    expect(rows.size).toBeGreaterThan(0);
  });

  it("neither keeps nor serves rows read inside a transaction, which may roll back", async () => {
    const rows = createSearchRowCache();
    await db
      .transaction(async (tx) => {
        await catalog.publishService(tx, "prn_p", svc("ghost", "ibis lagoon"));
        const inside = await searchHits(tx, "sqlite", ["ibis"], {}, 10, { rows });
        expect(inside.map((h) => h.name)).toEqual(["ghost"]);
        throw new Error("roll back");
      })
      .catch(() => undefined);
    expect(rows.size).toBe(0);
    await db.transaction((tx) => catalog.publishService(tx, "prn_p", svc("real", "ibis lagoon")));
    expect(
      (await searchHits(db.kysely, "sqlite", ["ibis"], {}, 10, { rows })).map((h) => h.name),
    ).toEqual(["real"]);
  });

  it("keeps at most its bound of rows and still reads every row asked for", async () => {
    const rows = createSearchRowCache(3);
    const all = await rids();
    await rows.read(db.kysely, all.slice(0, 3));
    await rows.read(db.kysely, all.slice(0, 1));
    await rows.read(db.kysely, all.slice(3, 5));
    expect(rows.size).toBe(3);
    const read = await rows.read(db.kysely, [...all.slice(0, 5), 999_999]);
    expect(read).toHaveLength(5);
  });
});

describe("the search rows AUTOINCREMENT migration", () => {
  it("keeps every row and rid, and from then on never gives a deleted rid again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agx-rowcache-mig-"));
    const db = openDatabase({ kind: "sqlite", file: join(dir, "agx.db") });
    try {
      const before = Object.fromEntries(
        Object.entries(allMigrations).filter(
          ([name]) => name < "1980_catalog_search_rows_autoincrement",
        ),
      );
      await migrateToLatest(db, before);
      const row = (id: string) => sql`insert into catalog_search_rows (service_id, name,
          skill_key, region, execution_mode, provider_id, price_minor, maturity, rails, tags,
          terms, terms_count)
        values (${id}, 'n', 'k', 'eu-west', 'native', 'prn', 1, 'beta', '[]', '[]', 'a b', 2)`;
      for (const id of ["svc_1", "svc_2", "svc_3"]) await row(id).execute(db.kysely);
      await sql`delete from catalog_search_rows where service_id = 'svc_3'`.execute(db.kysely);
      await migrateToLatest(db, allMigrations);
      const kept = await sql<{ rid: bigint; service_id: string; terms: string }>`select rid,
          service_id, terms from catalog_search_rows order by rid`.execute(db.kysely);
      expect(kept.rows.map((r) => [Number(r.rid), r.service_id, r.terms])).toEqual([
        [1, "svc_1", "a b"],
        [2, "svc_2", "a b"],
      ]);
      await sql`delete from catalog_search_rows where service_id = 'svc_2'`.execute(db.kysely);
      await row("svc_4").execute(db.kysely);
      const next = await sql<{ rid: bigint }>`select rid from catalog_search_rows
        where service_id = 'svc_4'`.execute(db.kysely);
      expect(Number(next.rows[0]?.rid)).toBe(3);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
