import { sql } from "kysely";
import type { DialectName, Executor } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import type { Maturity, SearchHit, ServiceFilter } from "./model.ts";
import type { SearchRowCache, WordsRow } from "./search-rows.ts";
import {
  bm25,
  FILTER_TOKEN_PREFIX,
  filterAsTokens,
  foldedWords,
  idfOf,
  type ScoredWord,
} from "./search-terms.ts";
import { applyFilter, q, type SearchRow } from "./store.ts";

/**
 * The catalogue's full-text search: passes most exact first over FTS5 (SQLite) or a tsvector
 * (PostgreSQL), each scoring a bounded scan of matches (decision 0005), and the filter-only
 * listing used when a search has no words. On SQLite filters are index tokens and BM25 is
 * computed here (search-terms.ts) from cached term statistics.
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

/** A PostgreSQL candidate: its hit fields and ts_rank (higher is better). */
type Candidate = HitRow & { rank: number | string };

/** A SQLite candidate: its hit fields and its words, which BM25 reads. */
type WordsCandidate = WordsRow;

/**
 * The `scan` most recently indexed latest active services that match an FTS5 expression and the
 * filter, with their words. The filter's values are index tokens ANDed to the expression, so
 * FTS5 intersects doclists and walks them newest first, stopping after `scan`; only a price
 * range is left to a join.
 */
async function ftsScan(
  ex: Executor,
  match: string,
  filter: ServiceFilter,
  scan: number,
  cache: SearchRowCache | undefined,
): Promise<WordsCandidate[]> {
  const { terms, rest } = filterAsTokens(filter);
  const expression = terms.length ? `(${match}) AND ${terms.join(" AND ")}` : match;
  const columns = [...hitColumns, "s.terms", "s.terms_count"] as const;
  if (!hasFilter(rest) && cache) {
    // Every match qualifies: the index alone names them, the rows come mostly from memory.
    const found = await sql<{ rowid: number | bigint }>`select rowid from catalog_search_fts
      where catalog_search_fts match ${expression} order by rowid desc limit ${scan}`.execute(ex);
    return cache.read(
      ex,
      found.rows.map((r) => Number(r.rowid)),
    );
  }
  if (!hasFilter(rest)) {
    // Every match qualifies: walk the index alone, then read only the rows kept.
    return q(ex)
      .selectFrom((eb) =>
        eb
          .selectFrom("catalog_search_fts")
          .select("rowid")
          .where(sql<boolean>`catalog_search_fts match ${expression}`)
          .orderBy("rowid", "desc")
          .limit(scan)
          .as("f"),
      )
      .innerJoin("catalog_search_rows as s", "s.rid", "f.rowid")
      .select(columns)
      .execute();
  }
  const query = q(ex)
    .selectFrom("catalog_search_fts as f")
    .innerJoin("catalog_search_rows as s", "s.rid", "f.rowid")
    .select(columns)
    .where(sql<boolean>`catalog_search_fts match ${expression}`);
  return applyFilter(query, rest, "sqlite").orderBy("f.rowid", "desc").limit(scan).execute();
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
    "postgres",
  )
    .orderBy("s.rid", "desc")
    .limit(scan);
  return q(ex)
    .selectFrom(matches.as("s"))
    .select([...hitColumns, sql<number>`ts_rank(s.tsv, ${query})`.as("rank")])
    .execute();
}

/** One pass's full-text expression, and on SQLite the words its BM25 sums over. */
interface Pass {
  match: string;
  words: ScoredWord[];
}

const quoted = (word: string) => `"${word.replaceAll('"', '""')}"`;
const exactWords = (token: string): ScoredWord[] =>
  foldedWords(token).map((word) => ({ word, prefix: false }));

/**
 * A query word as a prefix, in FTS5 syntax: the word or the longer indexed words it starts, when
 * there are few (FTS5 looks those up word by word and stops early, where a `"word"*` prefix makes
 * it read every match of every such word); null when no longer word is indexed, or when the word
 * could start a filter token.
 */
async function ftsPrefix(ex: Executor, token: string): Promise<Pass | null> {
  if (token.startsWith(FILTER_TOKEN_PREFIX) || FILTER_TOKEN_PREFIX.startsWith(token)) return null;
  const max = limits.search_prefix_words_max;
  const longer = await q(ex)
    .selectFrom("catalog_search_vocab")
    .select("term")
    .where("term", ">=", `${token}\u{1}`)
    .where("term", "<", `${token}\u{10ffff}`)
    .limit(max + 1)
    .execute();
  if (longer.length === 0) return null;
  if (longer.length > max) {
    return {
      match: `${quoted(token)}*`,
      words: exactWords(token).map((w) => ({ ...w, prefix: true })),
    };
  }
  const words = [...exactWords(token), ...longer.map((w) => ({ word: w.term, prefix: false }))];
  return { match: `(${[token, ...longer.map((w) => w.term)].map(quoted).join(" OR ")})`, words };
}

/** Passes joined by AND or OR: one expression, every word. */
function joined(passes: Pass[], operator: string): Pass {
  return {
    match: passes.map((p) => p.match).join(operator),
    words: passes.flatMap((p) => p.words),
  };
}

/**
 * The passes of a search, most exact first: every word as written, every word as a prefix, any
 * word as written, any word as a prefix. A prefix pass is built only when the passes before it
 * found too little, and left out when no word starts a longer one.
 */
async function* passesOf(ex: Executor, dialect: DialectName, tokens: string[]) {
  const sqlite = dialect === "sqlite";
  const exact: Pass[] = tokens.map((t) =>
    sqlite ? { match: quoted(t), words: exactWords(t) } : { match: t, words: [] },
  );
  const [and, or] = sqlite ? [" AND ", " OR "] : [" & ", " | "];
  const many = tokens.length > 1;
  yield joined(exact, and);
  let prefix: Pass[] | null = tokens.map((t) => ({ match: `${t}:*`, words: [] }));
  if (sqlite) {
    const found = await Promise.all(tokens.map((t) => ftsPrefix(ex, t)));
    prefix = found.some((p) => p !== null) ? found.map((p, i) => p ?? (exact[i] as Pass)) : null;
  }
  if (prefix) yield joined(prefix, and);
  if (many) yield joined(exact, or);
  if (many && prefix) yield joined(prefix, or);
}

/**
 * Full-text matches among latest active services with a relevance in (0, 1]: BM25 on SQLite
 * (computed here over the words of the scanned rows, with cached statistics), ts_rank over a
 * tsvector on PostgreSQL. Only what ranking needs is read (the narrow search rows); the caller
 * loads the few services it keeps. `tokens` are already reduced to letters and digits.
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
  options: { stats?: TermStats; scan?: number; rows?: SearchRowCache } = {},
): Promise<SearchHit[]> {
  const scan = options.scan ?? limits.search_scan_max;
  const stats = options.stats ?? createTermStats();
  const seen = new Set<string>();
  const out: SearchHit[] = [];
  for await (const pass of passesOf(ex, dialect, tokens)) {
    let scored: { r: HitRow; s: number }[];
    if (dialect === "sqlite") {
      const rows = await ftsScan(ex, pass.match, filter, scan, options.rows);
      const fresh = rows.filter((r) => !seen.has(r.service_id));
      const { idf, avg_len } = fresh.length
        ? await stats.weights(ex, pass.words)
        : { idf: [], avg_len: 1 };
      scored = fresh.map((r) => ({
        r,
        s: bm25(r.terms, Number(r.terms_count), pass.words, idf, avg_len),
      }));
    } else {
      const rows = await tsvScan(ex, pass.match, filter, scan);
      // ts_rank is small next to bm25; × 10 puts them on a like scale.
      scored = rows
        .filter((r) => !seen.has(r.service_id))
        .map((r) => ({ r, s: Number(r.rank) * 10 }));
    }
    scored.sort((a, b) => b.s - a.s || (a.r.service_id < b.r.service_id ? -1 : 1));
    for (const { r, s } of scored.slice(0, limit - out.length)) {
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
  dialect: DialectName,
  filter: ServiceFilter,
  relevance: number,
  limit: number,
): Promise<SearchHit[]> {
  const query = applyFilter(
    q(ex).selectFrom("catalog_search_rows as s").select(hitColumns),
    filter,
    dialect,
  );
  const rows = await query.orderBy("s.service_id").limit(limit).execute();
  return rows.map((r) => hitOf(r, relevance));
}

/** Stores quotes in one statement. */

/**
 * The statistics BM25 needs (documents, mean length, documents per word), cached: they move
 * slowly, and reading a common word's document count costs as much as the search itself. The
 * hub's own catalogue writes drop the cache; anything else (another process on the same file)
 * shows within `search_term_stats_ttl_ms`.
 */
export function createTermStats() {
  const ttl_ms = limits.search_term_stats_ttl_ms;
  let totals: { docs: number; avg_len: number; at_ms: number } | null = null;
  const df = new Map<string, { n: number; at_ms: number }>();

  async function docsOf(ex: Executor, word: string, now_ms: number): Promise<number> {
    const hit = df.get(word);
    if (hit && now_ms - hit.at_ms < ttl_ms) return hit.n;
    const row = await q(ex)
      .selectFrom("catalog_search_vocab")
      .select("doc")
      .where("term", "=", word)
      .executeTakeFirst();
    const n = Number(row?.doc ?? 0);
    if (df.size >= limits.search_term_stats_max) df.delete(df.keys().next().value as string);
    df.set(word, { n, at_ms: now_ms });
    return n;
  }

  /** The idf of each word and the catalogue's mean length in words. */
  async function weights(
    ex: Executor,
    scored: readonly ScoredWord[],
  ): Promise<{ idf: number[]; avg_len: number }> {
    const now_ms = performance.now();
    if (!totals || now_ms - totals.at_ms >= ttl_ms) {
      const row = await q(ex)
        .selectFrom("catalog_search_rows")
        .select((eb) => [
          eb.fn.countAll<number>().as("docs"),
          eb.fn.avg<number>("terms_count").as("avg_len"),
        ])
        .executeTakeFirstOrThrow();
      totals = { docs: Number(row.docs), avg_len: Number(row.avg_len ?? 0), at_ms: now_ms };
    }
    const idf: number[] = [];
    for (const w of scored) idf.push(idfOf(totals.docs, await docsOf(ex, w.word, now_ms)));
    return { idf, avg_len: totals.avg_len };
  }

  /** Forgets everything (the catalogue changed). */
  function invalidate(): void {
    totals = null;
    df.clear();
  }

  return { weights, invalidate };
}

export type TermStats = ReturnType<typeof createTermStats>;
