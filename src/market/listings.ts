import type { DialectName, Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { marketLimits } from "./limits.ts";
import type { Attachment, Listing, ListingKind, ListingStatus, PriceTerms } from "./model.ts";
import { marketProblems } from "./problems.ts";
import * as store from "./store.ts";

/** What a poster gives; the hub adds id, owner, status and times. */
export interface NewListing {
  kind: ListingKind;
  title: string;
  description: string;
  category: string;
  tags: string[];
  price: PriceTerms;
  deadline_ms: number | null;
  attachments: Attachment[];
}

export type ListingPatch = Partial<Omit<NewListing, "kind">>;

/** Letters-and-digits search tokens (nothing else reaches the full-text query syntax). */
export function searchTokens(query: string): string[] {
  const tokens = query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
  return [...new Set(tokens)].slice(0, marketLimits.search_tokens_max);
}

function invalid(detail: string, pointer: string): Problem {
  return new Problem(marketProblems.MARKET_LISTING_INVALID, detail, {
    errors: [{ pointer, detail }],
  });
}

/** Checks what a schema cannot: price order, deadlines in the future; normalises tags. */
function checked(spec: NewListing, now_ms: number): NewListing {
  const { price } = spec;
  if (price.min_minor <= 0n) throw invalid("the price must be greater than zero", "/price");
  if (price.type === "fixed" && price.max_minor !== price.min_minor)
    throw invalid("a fixed price has one amount", "/price");
  if (price.max_minor < price.min_minor)
    throw invalid("the range's maximum is below its minimum", "/price/max");
  if (spec.deadline_ms !== null && spec.deadline_ms <= now_ms)
    throw invalid("the deadline has passed already", "/deadline");
  const tags = [...new Set(spec.tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];
  return { ...spec, tags, category: spec.category.trim().toLowerCase() };
}

/** Bounties and services: posting, editing, closing, the public feed and its search. */
export function createListings(deps: { clock: Clock; dialect: DialectName }) {
  const { clock, dialect } = deps;

  async function get(ex: Executor, id: string): Promise<Listing> {
    const listing = await store.getListing(ex, id);
    if (!listing) throw new Problem(marketProblems.MARKET_LISTING_NOT_FOUND, `no listing ${id}`);
    return listing;
  }

  async function create(tx: Executor, owner_id: string, spec: NewListing): Promise<Listing> {
    const now_ms = clock.now_ms();
    const listing: Listing = {
      ...checked(spec, now_ms),
      id: newId("lst", now_ms),
      owner_id,
      status: "open",
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
    };
    await store.insertListing(tx, dialect, listing);
    return listing;
  }

  async function owned(ex: Executor, owner_id: string, id: string): Promise<Listing> {
    const listing = await get(ex, id);
    if (listing.owner_id !== owner_id)
      throw new Problem(marketProblems.MARKET_NOT_LISTING_OWNER, `listing ${id} is not yours`);
    return listing;
  }

  function notOpen(listing: Listing): Problem {
    return new Problem(
      marketProblems.MARKET_LISTING_CLOSED,
      `listing ${listing.id} is ${listing.status}`,
      { extensions: { listing_status: listing.status } },
    );
  }

  /** The owner's edit of an open listing; the asset never changes under open negotiations. */
  async function update(tx: Executor, owner_id: string, id: string, patch: ListingPatch) {
    const listing = await owned(tx, owner_id, id);
    if (listing.status !== "open") throw notOpen(listing);
    const { kind, ...rest } = listing;
    const merged = checked({ kind, ...rest, ...patch }, clock.now_ms());
    if (merged.price.asset !== listing.price.asset)
      throw invalid("the asset of a listing cannot change", "/price/asset");
    const next: Listing = { ...listing, ...merged, updated_at_ms: clock.now_ms() };
    if (!(await store.replaceListing(tx, dialect, next, "open"))) throw notOpen(await get(tx, id));
    return next;
  }

  /** Moves a listing between statuses (close by its owner, award on funding). */
  async function move(tx: Executor, listing: Listing, to: ListingStatus): Promise<Listing> {
    if (!(await store.moveListing(tx, listing.id, "open", to, clock.now_ms())))
      throw notOpen(await get(tx, listing.id));
    return { ...listing, status: to, updated_at_ms: clock.now_ms() };
  }

  /** A page of the feed, newest first; `query` narrows it by full text. */
  async function feed(
    ex: Executor,
    filter: Omit<store.ListingFilter, "tokens"> & { query?: string },
    cursor: string | null,
    limit: number,
  ): Promise<{ items: Listing[]; next_cursor: string | null }> {
    const { query, ...rest } = filter;
    const tokens = query ? searchTokens(query) : [];
    const rows = await store.listListings(
      ex,
      dialect,
      { ...rest, ...(tokens.length > 0 ? { tokens } : {}) },
      cursor,
      limit + 1,
    );
    const items = rows.slice(0, limit);
    return { items, next_cursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  return {
    create,
    get,
    owned,
    update,
    close: async (tx: Executor, owner_id: string, id: string) =>
      move(tx, await owned(tx, owner_id, id), "closed"),
    move,
    notOpen,
    feed,
  };
}

export type Listings = ReturnType<typeof createListings>;
