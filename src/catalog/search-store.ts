import { sql } from "kysely";
import type { DialectName, Executor } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import type { Maturity, SearchHit, ServiceFilter } from "./model.ts";
import { applyFilter, q, type SearchRow } from "./store.ts";

/**
 * The catalogue's full-text search: passes most exact first over FTS5 (SQLite) or a tsvector
 * (PostgreSQL), each scoring a bounded scan of matches (decision 0005), and the filter-only
 * listing used when a search has no words.
 */

const hitColumns = [
  "s.service_id",
  "s.name",
  "s.skill_key",
  "s.region",
  "s.maturity",
  "s.price_minor",
] as const;

type HitRow = Pick<
  SearchRow,
  "service_id" | "name" | "skill_key" | "region" | "maturity" | "price_minor"
> & {
  rank?: number | string;
};

function hitOf(r: HitRow, relevance: number): SearchHit {
  return {
    id: r.service_id,
    name: r.name,
    skill_key: r.skill_key,
    region: r.region,
    maturity: r.maturity as Maturity,
    price_minor: r.price_minor === null ? null : BigInt(r.price_minor),
    p50_latency_ms: null,
    success_rate: null,
    relevance,
  };
}

const hasFilter = (f: ServiceFilter) => Object.values(f).some((v) => v !== undefined);

/** A full-text candidate: its hit fields and raw score (bm25: lower is better; ts_rank: higher). */
type Candidate = HitRow & { rank: number | string };

/**
 * The `scan` most recently indexed latest active services that match an FTS5 expression and the
 * filter, each with its bm25. FTS5 walks its doclists newest first and stops after `scan`, so
 * bm25 (and the join to the search rows, with the filter) runs on at most `scan` matches.
 */
async function ftsScan(
  ex: Executor,
  match: string,
  filter: ServiceFilter,
  scan: number,
): Promise<Candidate[]> {
  if (!hasFilter(filter)) {
    // Every indexed row qualifies: score in the index alone, then read only the rows scored.
    return q(ex)
      .selectFrom((eb) =>
        eb
          .selectFrom("catalog_search_fts")
          .select(["rowid", sql<number>`bm25(catalog_search_fts)`.as("rank")])
          .where(sql<boolean>`catalog_search_fts match ${match}`)
          .orderBy("rowid", "desc")
          .limit(scan)
          .as("f"),
      )
      .innerJoin("catalog_search_rows as s", "s.rid", "f.rowid")
      .select([...hitColumns, "f.rank"])
      .execute();
  }
  const query = q(ex)
    .selectFrom("catalog_search_fts as f")
    .innerJoin("catalog_search_rows as s", "s.rid", "f.rowid")
    .select([...hitColumns, sql<number>`bm25(catalog_search_fts)`.as("rank")])
    .where(sql<boolean>`catalog_search_fts match ${match}`);
  return applyFilter(query, filter).orderBy("f.rowid", "desc").limit(scan).execute();
}

/** The same scan on PostgreSQL: a tsquery instead of an FTS5 expression, ts_rank for bm25. */
async function tsvScan(
  ex: Executor,
  tsquery: string,
  filter: ServiceFilter,
  scan: number,
): Promise<Candidate[]> {
  const query = sql`to_tsquery('simple', ${tsquery})`;
  const matches = applyFilter(
    q(ex)
      .selectFrom("catalog_search_rows as s")
      .select([...hitColumns, sql<string>`s.search_tsv`.as("tsv")])
      .where(sql<boolean>`s.search_tsv @@ ${query}`),
    filter,
  )
    .orderBy("s.rid", "desc")
    .limit(scan);
  return q(ex)
    .selectFrom(matches.as("s"))
    .select([...hitColumns, sql<number>`ts_rank(s.tsv, ${query})`.as("rank")])
    .execute();
}

/**
 * A query word as a prefix, in FTS5 syntax: the word or the longer indexed words it starts, when
 * there are few (FTS5 looks those up word by word and stops early, where a `"word"*` prefix makes
 * it read every match of every such word); null when no longer word is indexed.
 */
async function ftsPrefix(ex: Executor, token: string): Promise<string | null> {
  const max = limits.search_prefix_words_max;
  const longer = await q(ex)
    .selectFrom("catalog_search_vocab")
    .select("term")
    .where("term", ">=", `${token}\u{1}`)
    .where("term", "<", `${token}\u{10ffff}`)
    .limit(max + 1)
    .execute();
  if (longer.length === 0) return null;
  if (longer.length > max) return `"${token}"*`;
  const words = [token, ...longer.map((w) => w.term)];
  return `(${words.map((w) => `"${w.replaceAll('"', '""')}"`).join(" OR ")})`;
}

/**
 * The passes of a search, most exact first, each a full-text expression: every word as written,
 * every word as a prefix, any word as written, any word as a prefix. A prefix pass is built only
 * when the passes before it found too little, and left out when no word starts a longer one.
 */
async function* passesOf(ex: Executor, dialect: DialectName, tokens: string[]) {
  const sqlite = dialect === "sqlite";
  const exact = tokens.map((t) => (sqlite ? `"${t}"` : t));
  const [and, or] = sqlite ? [" AND ", " OR "] : [" & ", " | "];
  const many = tokens.length > 1;
  yield exact.join(and);
  let prefix: string[] | null = tokens.map((t) => `${t}:*`);
  if (sqlite) {
    const found = await Promise.all(tokens.map((t) => ftsPrefix(ex, t)));
    prefix = found.some((p) => p !== null) ? found.map((p, i) => p ?? (exact[i] as string)) : null;
  }
  if (prefix) yield prefix.join(and);
  if (many) yield exact.join(or);
  if (many && prefix) yield prefix.join(or);
}

/**
 * Full-text matches among latest active services with a relevance in (0, 1]: FTS5 bm25 on
 * SQLite, ts_rank over a tsvector on PostgreSQL. Only what ranking needs is read (the narrow
 * search rows); the caller loads the few services it keeps. `tokens` are already reduced to
 * letters and digits.
 *
 * Exact first, and bounded (docs/decisions/0005-search-scan-bound.md): passes run in order
 * (see passesOf) until `limit` services were found, each pass scoring at most its `scan` most
 * recently indexed matches. Hits come pass by pass, best text score first within a pass.
 */
export async function searchHits(
  ex: Executor,
  dialect: DialectName,
  tokens: string[],
  filter: ServiceFilter,
  limit: number,
  scan: number = limits.search_scan_max,
): Promise<SearchHit[]> {
  const sqlite = dialect === "sqlite";
  // bm25 is negative, better when lower; ts_rank is positive, better when higher.
  const score = (r: Candidate) => (sqlite ? -Number(r.rank) : Number(r.rank) * 10);
  const seen = new Set<string>();
  const out: SearchHit[] = [];
  for await (const match of passesOf(ex, dialect, tokens)) {
    const rows = sqlite
      ? await ftsScan(ex, match, filter, scan)
      : await tsvScan(ex, match, filter, scan);
    const fresh = rows
      .filter((r) => !seen.has(r.service_id))
      .map((r) => ({ r, s: score(r) }))
      .sort((a, b) => b.s - a.s || (a.r.service_id < b.r.service_id ? -1 : 1));
    for (const { r, s } of fresh.slice(0, limit - out.length)) {
      seen.add(r.service_id);
      out.push(hitOf(r, s / (1 + s)));
    }
    if (out.length >= limit) break;
  }
  return out;
}

/** Latest active services matching the filter, by id, as search hits of a fixed relevance. */
export async function filteredHits(
  ex: Executor,
  filter: ServiceFilter,
  relevance: number,
  limit: number,
): Promise<SearchHit[]> {
  const query = applyFilter(
    q(ex).selectFrom("catalog_search_rows as s").select(hitColumns),
    filter,
  );
  const rows = await query.orderBy("s.service_id").limit(limit).execute();
  return rows.map((r) => hitOf(r, relevance));
}

/** Stores quotes in one statement. */
