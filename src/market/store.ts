import { sql } from "kysely";
import { big, type DialectName, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { Attachment, Listing, ListingKind, ListingStatus } from "./model.ts";

type Int = number | bigint;

/** The listings table (this file) and the SQL of the other market tables (see *-store.ts). */
export interface ListingRow {
  id: string;
  kind: string;
  owner_id: string;
  title: string;
  description: string;
  category: string;
  tags: string;
  price_type: string;
  price_min_minor: Int;
  price_max_minor: Int;
  asset: string;
  deadline_ms: Int | null;
  attachments: string;
  status: string;
  search_text: string;
  created_at_ms: Int;
  updated_at_ms: Int;
}

interface ListingTables {
  market_listings: ListingRow;
  market_listings_fts: { listing_id: string; search_text: string };
}

const q = (ex: Executor) => tablesOf<ListingTables>(ex);

function toListing(r: ListingRow): Listing {
  return {
    id: r.id,
    kind: r.kind as ListingKind,
    owner_id: r.owner_id,
    title: r.title,
    description: r.description,
    category: r.category,
    tags: JSON.parse(r.tags) as string[],
    price: {
      type: r.price_type as "fixed" | "range",
      min_minor: big(r.price_min_minor),
      max_minor: big(r.price_max_minor),
      asset: r.asset,
    },
    deadline_ms: numOrNull(r.deadline_ms),
    attachments: JSON.parse(r.attachments) as Attachment[],
    status: r.status as ListingStatus,
    created_at_ms: num(r.created_at_ms),
    updated_at_ms: num(r.updated_at_ms),
  };
}

/** The text full-text search indexes: title, description, category and tags. */
export function searchTextOf(l: Pick<Listing, "title" | "description" | "category" | "tags">) {
  return [l.title, l.description, l.category, ...l.tags].join(" ");
}

function rowOf(l: Listing): ListingRow {
  return {
    id: l.id,
    kind: l.kind,
    owner_id: l.owner_id,
    title: l.title,
    description: l.description,
    category: l.category,
    tags: JSON.stringify(l.tags),
    price_type: l.price.type,
    price_min_minor: l.price.min_minor,
    price_max_minor: l.price.max_minor,
    asset: l.price.asset,
    deadline_ms: l.deadline_ms,
    attachments: JSON.stringify(l.attachments),
    status: l.status,
    search_text: searchTextOf(l),
    created_at_ms: l.created_at_ms,
    updated_at_ms: l.updated_at_ms,
  };
}

/** SQLite keeps the full-text index in a side table; PostgreSQL derives a tsvector column. */
async function reindex(ex: Executor, dialect: DialectName, l: Listing): Promise<void> {
  if (dialect !== "sqlite") return;
  await q(ex).deleteFrom("market_listings_fts").where("listing_id", "=", l.id).execute();
  await q(ex)
    .insertInto("market_listings_fts")
    .values({ listing_id: l.id, search_text: searchTextOf(l) })
    .execute();
}

export async function insertListing(ex: Executor, dialect: DialectName, l: Listing) {
  await q(ex).insertInto("market_listings").values(rowOf(l)).execute();
  await reindex(ex, dialect, l);
}

/** Rewrites a listing's fields (the owner's edit); false when it changed status meanwhile. */
export async function replaceListing(
  ex: Executor,
  dialect: DialectName,
  l: Listing,
  expected: ListingStatus,
): Promise<boolean> {
  const { id: _id, created_at_ms: _c, ...fields } = rowOf(l);
  const r = await q(ex)
    .updateTable("market_listings")
    .set(fields)
    .where("id", "=", l.id)
    .where("status", "=", expected)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await reindex(ex, dialect, l);
  return true;
}

/** Moves a listing from one status to another; false when it was not in `from`. */
export async function moveListing(
  ex: Executor,
  id: string,
  from: ListingStatus,
  to: ListingStatus,
  now_ms: number,
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("market_listings")
    .set({ status: to, updated_at_ms: now_ms })
    .where("id", "=", id)
    .where("status", "=", from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function getListing(ex: Executor, id: string): Promise<Listing | null> {
  const row = await q(ex)
    .selectFrom("market_listings")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toListing(row) : null;
}

/** Feed filters; a price range matches listings whose own range overlaps it. */
export interface ListingFilter {
  kind?: ListingKind;
  status?: ListingStatus | "all";
  owner_id?: string;
  category?: string;
  tag?: string;
  asset?: string;
  price_min_minor?: bigint;
  price_max_minor?: bigint;
  /** Letters-and-digits tokens; every one must match (prefix match). */
  tokens?: string[];
}

/** Listings matching the filter, newest first, before a cursor (a listing id). */
export async function listListings(
  ex: Executor,
  dialect: DialectName,
  f: ListingFilter,
  before: string | null,
  limit: number,
): Promise<Listing[]> {
  let query = q(ex).selectFrom("market_listings as l").selectAll("l");
  if (f.kind) query = query.where("l.kind", "=", f.kind);
  if (f.status !== "all") query = query.where("l.status", "=", f.status ?? "open");
  if (f.owner_id) query = query.where("l.owner_id", "=", f.owner_id);
  if (f.category) query = query.where("l.category", "=", f.category);
  if (f.asset) query = query.where("l.asset", "=", f.asset);
  if (f.tag) {
    const pattern = `%${JSON.stringify(f.tag).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`l.tags like ${pattern} escape '\\'`);
  }
  if (f.price_min_minor !== undefined)
    query = query.where("l.price_max_minor", ">=", f.price_min_minor);
  if (f.price_max_minor !== undefined)
    query = query.where("l.price_min_minor", "<=", f.price_max_minor);
  if (f.tokens && f.tokens.length > 0) {
    if (dialect === "sqlite") {
      const match = f.tokens.map((t) => `"${t}"*`).join(" ");
      query = query.where(
        sql<boolean>`l.id in (select listing_id from market_listings_fts
                               where market_listings_fts match ${match})`,
      );
    } else {
      const tsquery = f.tokens.map((t) => `${t}:*`).join(" & ");
      query = query.where(sql<boolean>`l.search_tsv @@ to_tsquery('simple', ${tsquery})`);
    }
  }
  if (before) query = query.where("l.id", "<", before);
  const rows = await query.orderBy("l.id", "desc").limit(limit).execute();
  return rows.map((r) => toListing(r as ListingRow));
}
