import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { openDatabase } from "../db/db.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { manualClock } from "../kernel/clock.ts";
import { allMigrations } from "../main.ts";
import { createKeySet } from "../receipts/index.ts";
import { type Catalog, createCatalog, type ServiceInput } from "./index.ts";
import type { ServiceFilter } from "./model.ts";
import { searchHits } from "./search-store.ts";
import { bm25, filterTokensOf, foldedWords, idfOf } from "./search-terms.ts";

/** An in-memory FTS5 table of the texts, positions kept, as FTS5's own reference. */
function fts5Of(texts: string[]) {
  const db = new BetterSqlite3(":memory:");
  db.exec(`create virtual table t using fts5(x, tokenize = 'unicode61 remove_diacritics 2')`);
  db.exec(`create virtual table v using fts5vocab(t, 'instance')`);
  const insert = db.prepare("insert into t (rowid, x) values (?, ?)");
  for (const [i, text] of texts.entries()) insert.run(i + 1, text);
  return db;
}

describe("search words and BM25 (SQLite search)", () => {
  const texts = [
    "Héllo, WORLD! naïve café 42x ÅNGSTRÖM straße",
    "e-mail co-op x_y ¿qué? déjà-vu 3.14 Ελληνικα 日本語",
    "invoice invoices INVOICE pdf-to-text, extract tables from PDF scans",
    "invoice parser",
    "fast pdf invoice extraction with layout and table detection for scanned invoice batches",
  ];

  it("folds a text into the words FTS5's unicode61 tokenizer indexes, in order", () => {
    const db = fts5Of(texts);
    const rows = db.prepare("select doc, term from v order by doc, offset").all() as {
      doc: number;
      term: string;
    }[];
    texts.forEach((text, i) => {
      expect(foldedWords(text)).toEqual(rows.filter((r) => r.doc === i + 1).map((r) => r.term));
    });
  });

  it("scores each text as FTS5's bm25 does, for one word and for several", () => {
    const db = fts5Of(texts);
    const words = texts.map((t) => foldedWords(t));
    const avg = words.reduce((a, w) => a + w.length, 0) / words.length;
    for (const query of [["invoice"], ["pdf", "invoice"], ["table", "scans", "fast"]]) {
      const match = query.map((w) => `"${w}"`).join(" OR ");
      const expected = db
        .prepare("select rowid, -bm25(t) as score from t where t match ? order by rowid")
        .all(match) as { rowid: number; score: number }[];
      const idf = query.map((q) => idfOf(texts.length, words.filter((w) => w.includes(q)).length));
      const scored = query.map((word) => ({ word, prefix: false }));
      for (const { rowid, score } of expected) {
        const w = words[rowid - 1] as string[];
        expect(bm25(w.join(" "), w.length, scored, idf, avg)).toBeCloseTo(score, 10);
      }
    }
  });

  it("counts a prefix's every longer word, and a word only where it stands alone", () => {
    const text = "invoice invoices reinvoice invoiced";
    const one = (word: string, prefix: boolean) => bm25(text, 4, [{ word, prefix }], [1], 4);
    // f / (f + 1.2): the frequency is recovered from the score.
    const f = (s: number) => Math.round((1.2 * s) / (2.2 - s));
    expect(f(one("invoice", false))).toBe(1);
    expect(f(one("invoice", true))).toBe(3);
    expect(one("voice", false)).toBe(0);
  });
});

const svc = (name: string, skill_key: string, extra: Partial<ServiceInput>): ServiceInput => ({
  name,
  version: "1.0.0",
  skill_key,
  description: "stamp stamps",
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
  ...extra,
});

describeStores("search filters", (store) => {
  const clock = manualClock(Date.UTC(2026, 10, 3));
  const keys = createKeySet({ clock, overlap_ms: 1e9, cache_ms: 0 });
  const uniq = Math.random().toString(36).slice(2, 8);
  const word = `stamp${uniq}`;
  const [inkKey, deepKey, underKey] = [`ink${uniq}.pad`, `ink${uniq}.pad.big`, `ink_${uniq}.pad`];
  const published: { name: string; provider: string; input: ServiceInput }[] = [];
  const ids = new Map<string, string>();
  let catalog: Catalog;

  beforeAll(async () => {
    await keys.ensure(store.db.kysely);
    catalog = createCatalog({
      clock,
      dialect: store.db.dialect,
      signQuote: (ex, payload) => keys.signCompact(ex, "agx-quote+jwt", payload),
      checkUrl: async () => {},
    });
    const skill = (key: string) => ({
      key,
      version: "1.0.0",
      label: key,
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
    });
    const cheap = svc("d", inkKey, {}).pricing;
    const specs: [string, string, string, Partial<ServiceInput>][] = [
      ["a", "prn_one", inkKey, { tags: ["Fast", "ocr"], rails: ["x402"], region: "us-east" }],
      ["b", "prn_one", deepKey, { tags: ["ocr"], execution_mode: "external-handoff" }],
      ["c", "prn_two", underKey, { tags: ["fast"], rails: ["X402", "agx-ledger"] }],
      ["d", "prn_two", inkKey, { region: "global", pricing: { ...cheap, amount_minor: 500n } }],
    ];
    await store.db.transaction(async (tx) => {
      for (const key of [inkKey, deepKey, underKey])
        await catalog.publishSkill(tx, "prn_s", skill(key));
      for (const [name, provider, key, extra] of specs) {
        const input = svc(`${name}-${uniq}`, key, { description: `${word} service`, ...extra });
        ids.set(name, (await catalog.publishService(tx, provider, input)).id);
        published.push({ name, provider, input });
      }
    });
  });

  const found = async (filter: ServiceFilter) =>
    (await searchHits(store.db.kysely, store.db.dialect, [word], filter, 50))
      .map((h) => [...ids].find(([, id]) => id === h.id)?.[0])
      .sort();

  it.each([
    ["no filter", {}, ["a", "b", "c", "d"]],
    ["a skill", { skill_key: inkKey }, ["a", "d"]],
    ["a category, and every dotted prefix is one", { category: `ink${uniq}` }, ["a", "b", "d"]],
    ["a deeper category", { category: `ink${uniq}.pad` }, ["b"]],
    ["a category with an underscore, taken as written", { category: `ink_${uniq}` }, ["c"]],
    ["a tag, in any case", { tag: "FAST" }, ["a", "c"]],
    ["a rail, in any case", { rail: "x402" }, ["a", "c"]],
    ["a region", { region: "us-east" }, ["a"]],
    ["a provider", { provider_id: "prn_two" }, ["c", "d"]],
    ["an execution mode", { execution_mode: "external-handoff" }, ["b"]],
    ["a price ceiling", { price_max_minor: 1000n }, ["d"]],
    ["a price floor with a tag", { price_min_minor: 1000n, tag: "ocr" }, ["a", "b"]],
    ["filters that nothing passes together", { region: "global", tag: "ocr" }, []],
  ] as const)("keeps the services that pass %s", async (_, filter, expected) => {
    expect(await found(filter as ServiceFilter)).toEqual([...expected]);
  });

  it("indexes each filter value of a service as one token", () => {
    const [a] = published;
    if (!a) throw new Error("published in beforeAll");
    const tokens = filterTokensOf({ ...a.input, provider_id: "prn_one" });
    // skill, provider, region, mode, one category (ink…; the key itself is the skill), 2 tags, 1 rail
    expect(tokens).toHaveLength(4 + 1 + 2 + 1);
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});

describe("the search re-index migration", () => {
  it("gives services indexed before it their words and filter tokens", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agx-reindex-"));
    const db = openDatabase({ kind: "sqlite", file: join(dir, "agx.db") });
    try {
      const before = Object.fromEntries(
        Object.entries(allMigrations).filter(([name]) => name < "1975_catalog_search_terms"),
      );
      await migrateToLatest(db, before);
      const text = "Quillpen inks letters";
      await sql`insert into catalog_services (id, name, version, provider_id, skill_key, body,
          search_text, region, execution_mode, price_minor, asset, rails, tags, status, latest,
          created_at_ms)
        values ('svc_old', 'old', '1.0.0', 'prn_old', 'pen.ink', '{}', ${text}, 'eu-west',
          'native', 100, 'USDC', '["x402"]', '["Calligraphy"]', 'active', 1, 0)`.execute(db.kysely);
      await sql`insert into catalog_search_rows (service_id, name, skill_key, region,
          execution_mode, provider_id, price_minor, maturity, rails, tags)
        values ('svc_old', 'old', 'pen.ink', 'eu-west', 'native', 'prn_old', 100, 'beta',
          '["x402"]', '["Calligraphy"]')`.execute(db.kysely);
      await migrateToLatest(db, allMigrations);
      const hits = await searchHits(db.kysely, "sqlite", ["quillpen"], { tag: "calligraphy" }, 5);
      expect(hits.map((h) => h.id)).toEqual(["svc_old"]);
      expect(hits[0]?.relevance).toBeGreaterThan(0);
      expect(await searchHits(db.kysely, "sqlite", ["quillpen"], { rail: "mpp" }, 5)).toEqual([]);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
