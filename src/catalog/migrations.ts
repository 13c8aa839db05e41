import { sql } from "kysely";
import type { AgxMigration } from "../db/migrate.ts";
import { filterTokensOf, foldedWords } from "./search-terms.ts";

/** Rows the search re-index reads at once. */
const REINDEX_BATCH_ROWS = 2000;

interface SearchRowText {
  rid: number;
  skill_key: string;
  provider_id: string;
  region: string;
  execution_mode: string;
  tags: string;
  rails: string;
  search_text: string;
}

/** Skills, services (versioned), their full-text index, and quotes. */
export const catalogMigrations: Record<string, AgxMigration> = {
  "0400_catalog": {
    async up(db, dialect) {
      await db.schema
        .createTable("catalog_skills")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("label", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("operations", "text", (c) => c.notNull())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("latest", "integer", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addUniqueConstraint("catalog_skills_key_version", ["key", "version"])
        .execute();
      await db.schema
        .createTable("catalog_services")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("skill_key", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("search_text", "text", (c) => c.notNull())
        .addColumn("region", "text", (c) => c.notNull())
        .addColumn("execution_mode", "text", (c) => c.notNull())
        .addColumn("price_minor", "bigint")
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("rails", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("latest", "integer", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addUniqueConstraint("catalog_services_name_version", ["name", "version"])
        .execute();
      await db.schema
        .createIndex("catalog_services_latest")
        .on("catalog_services")
        .columns(["latest", "status", "skill_key"])
        .execute();
      if (dialect === "postgres") {
        await sql`alter table catalog_services add column search_tsv tsvector
          generated always as (to_tsvector('simple', search_text)) stored`.execute(db);
        await sql`create index catalog_services_fts on catalog_services using gin (search_tsv)`.execute(
          db,
        );
      } else {
        await sql`create virtual table catalog_services_fts using fts5(
          service_id unindexed, search_text, tokenize = 'unicode61 remove_diacritics 2')`.execute(
          db,
        );
      }
      await db.schema
        .createTable("catalog_quotes")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("service_id", "text", (c) => c.notNull())
        .addColumn("operation", "text", (c) => c.notNull())
        .addColumn("amount_minor", "bigint", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("input_sha256", "text", (c) => c.notNull())
        .addColumn("requester_id", "text")
        .addColumn("jws", "text", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  "1500_catalog_service_name": {
    async up(db) {
      // Publishing looks the latest version up by name; without this it scanned every latest row.
      await db.schema
        .createIndex("catalog_services_name_latest")
        .on("catalog_services")
        .columns(["name", "latest"])
        .execute();
    },
  },
  "1610_catalog_search": {
    async up(db, dialect) {
      // What search filters and ranks on, one narrow row per latest active service: a search
      // ranks a few thousand full-text matches, and reading them from the wide service rows
      // (JSON body, search text) was most of its cost.
      const pg = dialect === "postgres";
      let table = db.schema
        .createTable("catalog_search_rows")
        .addColumn("rid", pg ? "bigserial" : "integer", (c) => c.primaryKey())
        .addColumn("service_id", "text", (c) => c.notNull().unique())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("skill_key", "text", (c) => c.notNull())
        .addColumn("region", "text", (c) => c.notNull())
        .addColumn("execution_mode", "text", (c) => c.notNull())
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("price_minor", "bigint")
        .addColumn("maturity", "text", (c) => c.notNull())
        .addColumn("rails", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull());
      if (pg) table = table.addColumn("search_tsv", sql`tsvector`, (c) => c.notNull());
      await table.execute();
      const maturity = pg
        ? sql`(body::json ->> 'maturity')`
        : sql`json_extract(body, '$.maturity')`;
      const tsv = pg ? sql`, to_tsvector('simple', search_text)` : sql``;
      await sql`insert into catalog_search_rows (service_id, name, skill_key, region,
          execution_mode, provider_id, price_minor, maturity, rails, tags${pg ? sql`, search_tsv` : sql``})
        select id, name, skill_key, region, execution_mode, provider_id, price_minor,
          ${maturity}, rails, tags${tsv}
        from catalog_services where latest = 1 and status = 'active' order by id`.execute(db);
      if (pg) {
        await sql`create index catalog_search_rows_fts on catalog_search_rows
          using gin (search_tsv)`.execute(db);
        await sql`drop index catalog_services_fts`.execute(db);
        await sql`alter table catalog_services drop column search_tsv`.execute(db);
        return;
      }
      // Contentless: the text stays in catalog_services; the rowid is catalog_search_rows.rid.
      await sql`create virtual table catalog_search_fts using fts5(search_text, content = '',
        contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2')`.execute(db);
      await sql`insert into catalog_search_fts (rowid, search_text)
        select r.rid, s.search_text from catalog_search_rows r
        join catalog_services s on s.id = r.service_id`.execute(db);
      await sql`drop table catalog_services_fts`.execute(db);
    },
  },
  "1960_catalog_search_scan": {
    async up(db, dialect) {
      // Search scans matches newest first and stops after search_scan_max (decision 0005).
      if (dialect === "sqlite") {
        // The index's words, so a prefix pass can name the few longer words a query word starts
        // instead of making FTS5 merge every match of the prefix.
        await sql`create virtual table catalog_search_vocab
          using fts5vocab(catalog_search_fts, 'row')`.execute(db);
        return;
      }
      // With a selective filter PostgreSQL would walk the whole primary key backwards to find
      // the newest matches; these let it walk only the filter's rows, newest first. (SQLite's
      // scan is driven by FTS5, which a rows-first plan would re-run per row.)
      for (const column of ["skill_key", "provider_id", "region"]) {
        await db.schema
          .createIndex(`catalog_search_rows_${column}_rid`)
          .on("catalog_search_rows")
          .columns([column, "rid"])
          .execute();
      }
    },
  },
  "1975_catalog_search_terms": {
    async up(db, dialect) {
      // SQLite only (decision 0005): each search row keeps its words, which BM25 now reads here
      // instead of FTS5's bm25, and the index adds the row's filter values as tokens. Without
      // positions (detail = none) the index is a third of its size and walks faster; no query
      // needs them (every word is matched alone).
      if (dialect !== "sqlite") return;
      await sql`alter table catalog_search_rows add column terms text not null default ''`.execute(
        db,
      );
      await sql`alter table catalog_search_rows add column terms_count integer not null
        default 0`.execute(db);
      await sql`drop table catalog_search_vocab`.execute(db);
      await sql`drop table catalog_search_fts`.execute(db);
      await sql`create virtual table catalog_search_fts using fts5(search_text, content = '',
        contentless_delete = 1, detail = none,
        tokenize = 'unicode61 remove_diacritics 2')`.execute(db);
      await sql`create virtual table catalog_search_vocab
        using fts5vocab(catalog_search_fts, 'row')`.execute(db);
      for (let after = 0; ; ) {
        const rows = await sql<SearchRowText>`select r.rid, r.skill_key, r.provider_id, r.region,
            r.execution_mode, r.tags, r.rails, s.search_text
          from catalog_search_rows r join catalog_services s on s.id = r.service_id
          where r.rid > ${after} order by r.rid limit ${REINDEX_BATCH_ROWS}`.execute(db);
        if (rows.rows.length === 0) break;
        for (const r of rows.rows) {
          const words = foldedWords(r.search_text);
          const tokens = filterTokensOf({
            ...r,
            tags: JSON.parse(r.tags) as string[],
            rails: JSON.parse(r.rails) as string[],
          });
          await sql`update catalog_search_rows set terms = ${words.join(" ")},
            terms_count = ${words.length} where rid = ${r.rid}`.execute(db);
          await sql`insert into catalog_search_fts (rowid, search_text)
            values (${r.rid}, ${`${r.search_text} ${tokens.join(" ")}`})`.execute(db);
        }
        after = Number(rows.rows[rows.rows.length - 1]?.rid);
      }
    },
  },
  "1980_catalog_search_rows_autoincrement": {
    async up(db, dialect) {
      // SQLite only: search keeps rows in memory by rid (search-rows.ts), which is safe only if
      // a rid is never given to another row. A plain integer key hands a deleted newest row's
      // rid to the next insert; AUTOINCREMENT never does. (PostgreSQL's bigserial never reuses.)
      if (dialect !== "sqlite") return;
      await sql`create table catalog_search_rows_next (rid integer primary key autoincrement,
        service_id text not null unique, name text not null, skill_key text not null,
        region text not null, execution_mode text not null, provider_id text not null,
        price_minor bigint, maturity text not null, rails text not null, tags text not null,
        terms text not null default '', terms_count integer not null default 0)`.execute(db);
      await sql`insert into catalog_search_rows_next (rid, service_id, name, skill_key, region,
          execution_mode, provider_id, price_minor, maturity, rails, tags, terms, terms_count)
        select rid, service_id, name, skill_key, region, execution_mode, provider_id,
          price_minor, maturity, rails, tags, terms, terms_count
        from catalog_search_rows order by rid`.execute(db);
      await sql`drop table catalog_search_rows`.execute(db);
      await sql`alter table catalog_search_rows_next rename to catalog_search_rows`.execute(db);
    },
  },
};
