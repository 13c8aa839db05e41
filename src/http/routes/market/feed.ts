import { Type } from "@sinclair/typebox";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import { type ListingKind, marketLimits } from "../../../market/index.ts";
import type { App } from "../../app.ts";
import { AssetCode, DecimalAmount } from "../../schemas.ts";
import { minorOf } from "../../wire.ts";
import type { MarketRouteContext } from "./index.ts";
import { ListingWire, listingsWire } from "./wire.ts";

export const FeedQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: marketLimits.search_query_chars_max })),
    category: Type.Optional(Type.String({ maxLength: marketLimits.category_chars_max })),
    tag: Type.Optional(Type.String({ maxLength: marketLimits.tag_chars_max })),
    status: Type.Optional(
      Type.Union(["open", "closed", "awarded", "all"].map((s) => Type.Literal(s))),
    ),
    asset: Type.Optional(AssetCode),
    priceMin: Type.Optional(DecimalAmount),
    priceMax: Type.Optional(DecimalAmount),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: marketLimits.page_size_max })),
    cursor: Type.Optional(Type.String({ pattern: "^lst_[0-9a-z]{26}$" })),
  },
  { additionalProperties: false },
);

const Reply = Type.Object({
  items: Type.Array(ListingWire),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

type Query = typeof FeedQuery.static;

/** The feed filter of a query; price bounds need the asset they are counted in. */
export function feedFilter(ctx: MarketRouteContext, q: Query) {
  if ((q.priceMin !== undefined || q.priceMax !== undefined) && q.asset === undefined) {
    throw new Problem(kernelProblems.VALIDATION_FAILED, "price filters need an asset", {
      errors: [
        {
          pointer: "/asset",
          detail: "is required with priceMin or priceMax",
          location: "querystring",
        },
      ],
    });
  }
  const bound = (v: string | undefined, pointer: string) =>
    v === undefined || q.asset === undefined ? undefined : minorOf(ctx, v, q.asset, pointer);
  const min = bound(q.priceMin, "/priceMin");
  const max = bound(q.priceMax, "/priceMax");
  return {
    ...(q.q ? { query: q.q } : {}),
    ...(q.category ? { category: q.category.toLowerCase() } : {}),
    ...(q.tag ? { tag: q.tag.toLowerCase() } : {}),
    ...(q.asset ? { asset: q.asset } : {}),
    ...(q.status ? { status: q.status as "open" | "closed" | "awarded" | "all" } : {}),
    ...(min !== undefined ? { price_min_minor: min } : {}),
    ...(max !== undefined ? { price_max_minor: max } : {}),
  };
}

/** Pact's public feeds: open bounties and services, filtered, searched, newest first. */
export default function feedRoutes(app: App, ctx: MarketRouteContext) {
  const feed = (kind: ListingKind, path: string, operationId: string) =>
    app.get(
      path,
      {
        config: { access: "public" },
        schema: {
          summary: `The public ${kind} feed: filters, full-text search (q), cursor pages`,
          tags: ["market"],
          operationId,
          querystring: FeedQuery,
          response: { 200: Reply },
        },
      },
      async (request) => {
        const q = request.query;
        const limit = q.limit ?? marketLimits.page_size_default;
        const ex = ctx.db.kysely;
        const page = await ctx.market.listings.feed(
          ex,
          { kind, ...feedFilter(ctx, q) },
          q.cursor ?? null,
          limit,
        );
        return { items: await listingsWire(ctx, ex, page.items), nextCursor: page.next_cursor };
      },
    );
  feed("bounty", "/api/public/bounties", "marketListBounties");
  feed("service", "/api/public/services", "marketListServices");
}
