import { sql } from "kysely";
import type { Executor } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import type { SearchRow } from "./store.ts";

/** What a SQLite search pass reads of a matching service: its hit fields and its words. */
export type WordsRow = Pick<
  SearchRow,
  "service_id" | "name" | "skill_key" | "region" | "maturity" | "price_minor"
> & { terms: string; terms_count: number | bigint };

/**
 * SQLite search rows by rid, kept in memory (decision 0005): a search pass finds its matches'
 * rids in the FTS5 index alone, and only the rows not held here are read from the table.
 * Turning a few hundred rows into JavaScript objects on every pass was most of a search's cost,
 * far more than finding them; a pass scans the newest matches, so recent rows are the ones read
 * again and again.
 *
 * A rid always names the same row: a search row is never updated (a new version of a service,
 * or its retirement, deletes its row and inserts another), and rids are never reused (the table
 * is AUTOINCREMENT since migration 1980), so an entry can never go stale, even when another
 * process writes the catalogue. A deleted row's rid is simply no longer matched by the index.
 * Only committed rows are kept: a read inside a transaction neither fills nor uses the cache.
 * Least recently used entries go first past `search_row_cache_max`.
 */
export function createSearchRowCache(max: number = limits.search_row_cache_max) {
  const rows = new Map<number, WordsRow>();

  /** The rows of `rids` in that order; a rid whose row is gone (deleted since) is left out. */
  async function read(ex: Executor, rids: readonly number[]): Promise<WordsRow[]> {
    // Inside a transaction a row may be one that rolls back, and its rid be given again: only
    // committed rows, read outside any transaction, are kept or served.
    const cached = !ex.isTransaction;
    const out: (WordsRow | undefined)[] = new Array(rids.length);
    const missing: number[] = [];
    for (const [i, rid] of rids.entries()) {
      const hit = cached ? rows.get(rid) : undefined;
      if (hit) {
        // Most recently used last, so eviction takes the coldest.
        rows.delete(rid);
        rows.set(rid, hit);
        out[i] = hit;
      } else missing.push(rid);
    }
    if (missing.length > 0) {
      const found = await sql<WordsRow & { rid: number | bigint }>`select rid, service_id, name,
          skill_key, region, maturity, price_minor, terms, terms_count
        from catalog_search_rows where rid in (select value from json_each(${JSON.stringify(missing)}))`.execute(
        ex,
      );
      const byRid = new Map<number, WordsRow>();
      for (const { rid, ...row } of found.rows) byRid.set(Number(rid), row);
      for (const [i, rid] of rids.entries()) {
        if (out[i]) continue;
        const row = byRid.get(rid);
        if (!row) continue;
        out[i] = row;
        if (!cached) continue;
        if (rows.size >= max) rows.delete(rows.keys().next().value as number);
        rows.set(rid, row);
      }
    }
    return out.filter((r): r is WordsRow => r !== undefined);
  }

  return {
    read,
    get size(): number {
      return rows.size;
    },
  };
}

export type SearchRowCache = ReturnType<typeof createSearchRowCache>;
