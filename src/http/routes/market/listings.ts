import { Type } from "@sinclair/typebox";
import { Problem } from "../../../kernel/problem.ts";
import {
  listingKinds,
  marketLimits,
  marketProblems,
  type NewListing,
  type PriceTerms,
} from "../../../market/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import { AssetCode, DecimalAmount } from "../../schemas.ts";
import { minorOf } from "../../wire.ts";
import { FeedQuery, feedFilter } from "./feed.ts";
import type { MarketRouteContext } from "./index.ts";
import {
  Attachments,
  attachmentsOf,
  Id,
  ListingWire,
  listingsWire,
  listingWire,
  msOf,
} from "./wire.ts";

const Text = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });
const Price = Type.Object(
  {
    type: Type.Union([Type.Literal("fixed"), Type.Literal("range")]),
    amount: Type.Optional(DecimalAmount),
    min: Type.Optional(DecimalAmount),
    max: Type.Optional(DecimalAmount),
  },
  { additionalProperties: false },
);
const Tags = Type.Array(Text(marketLimits.tag_chars_max, 1), {
  maxItems: marketLimits.tags_per_listing_max,
});
const Fields = {
  title: Text(marketLimits.title_chars_max, 1),
  description: Text(marketLimits.description_chars_max),
  category: Text(marketLimits.category_chars_max, 1),
  tags: Type.Optional(Tags),
  price: Price,
  asset: AssetCode,
  deadline: Type.Optional(Type.Union([Type.String({ format: "date-time" }), Type.Null()])),
  attachments: Type.Optional(Attachments),
};
const Create = Type.Object(
  { kind: Type.Union(listingKinds.map((k) => Type.Literal(k))), ...Fields },
  { additionalProperties: false },
);
const { asset: _asset, ...Editable } = Fields;
const Patch = Type.Object(
  {
    ...Object.fromEntries(Object.entries(Editable).map(([k, v]) => [k, Type.Optional(v)])),
    status: Type.Optional(Type.Literal("closed")),
  },
  { additionalProperties: false },
);

type PriceBody = typeof Price.static;

function priceOf(ctx: MarketRouteContext, p: PriceBody, asset: string): PriceTerms {
  const need = (v: string | undefined, name: string) => {
    if (v === undefined)
      throw new Problem(marketProblems.MARKET_LISTING_INVALID, `a ${p.type} price needs ${name}`, {
        errors: [{ pointer: `/price/${name}`, detail: "is required" }],
      });
    return minorOf(ctx, v, asset, `/price/${name}`);
  };
  if (p.type === "fixed") {
    const amount = need(p.amount, "amount");
    return { type: "fixed", min_minor: amount, max_minor: amount, asset };
  }
  return { type: "range", min_minor: need(p.min, "min"), max_minor: need(p.max, "max"), asset };
}

/** Posting, reading, editing and closing one's listings (bounties and services). */
export default function listingRoutes(app: App, ctx: MarketRouteContext) {
  const common = { tags: ["market"], security: [{ apiKey: [] }] };
  app.post(
    "/api/market/listings",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Post a bounty (a need) or a service (an offer)",
        operationId: "marketCreateListing",
        body: Create,
        response: { 201: ListingWire },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const spec: NewListing = {
        kind: b.kind,
        title: b.title,
        description: b.description,
        category: b.category,
        tags: b.tags ?? [],
        price: priceOf(ctx, b.price, b.asset),
        deadline_ms: b.deadline ? msOf(b.deadline) : null,
        attachments: attachmentsOf(b.attachments),
      };
      return writeTx(ctx, request, reply, 201, async (tx) =>
        listingWire(
          ctx,
          await ctx.market.listings.create(tx, callerOf(request).principal.id, spec),
          null,
        ),
      );
    },
  );

  app.get(
    "/api/market/listings",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "My listings, newest first (any status unless filtered)",
        operationId: "marketMyListings",
        querystring: FeedQuery,
        response: {
          200: Type.Object({
            items: Type.Array(ListingWire),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const ex = ctx.db.kysely;
      const page = await ctx.market.listings.feed(
        ex,
        { status: "all", ...feedFilter(ctx, q), owner_id: callerOf(request).principal.id },
        q.cursor ?? null,
        q.limit ?? marketLimits.page_size_default,
      );
      return { items: await listingsWire(ctx, ex, page.items), nextCursor: page.next_cursor };
    },
  );

  app.get(
    "/api/market/listings/:id",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "One listing with its owner's reputation",
        operationId: "marketGetListing",
        params: Id("lst"),
        response: { 200: ListingWire },
      },
    },
    async (request) => {
      const ex = ctx.db.kysely;
      const listing = await ctx.market.listings.get(ex, request.params.id);
      return (await listingsWire(ctx, ex, [listing]))[0];
    },
  );

  app.patch(
    "/api/market/listings/:id",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Edit an open listing, or close it (cancels its negotiations)",
        operationId: "marketUpdateListing",
        params: Id("lst"),
        body: Patch,
        response: { 200: ListingWire },
      },
    },
    async (request, reply) => {
      const b = request.body as Partial<typeof Create.static> & { status?: "closed" };
      const owner = callerOf(request).principal.id;
      return writeTx(ctx, request, reply, 200, async (tx) => {
        const id = request.params.id;
        if (b.status === "closed") {
          if (Object.keys(b).length > 1)
            throw new Problem(marketProblems.MARKET_LISTING_INVALID, "close a listing on its own", {
              errors: [{ pointer: "/status", detail: "cannot be combined with edits" }],
            });
          return listingWire(ctx, await ctx.marketFlows.closeListing(tx, owner, id), null);
        }
        const current = await ctx.market.listings.owned(tx, owner, id);
        const asset = current.price.asset;
        const patch = {
          ...(b.title !== undefined ? { title: b.title } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.category !== undefined ? { category: b.category } : {}),
          ...(b.tags !== undefined ? { tags: b.tags } : {}),
          ...(b.price !== undefined ? { price: priceOf(ctx, b.price, asset) } : {}),
          ...(b.deadline !== undefined
            ? { deadline_ms: b.deadline ? msOf(b.deadline) : null }
            : {}),
          ...(b.attachments !== undefined ? { attachments: attachmentsOf(b.attachments) } : {}),
        };
        return listingWire(ctx, await ctx.market.listings.update(tx, owner, id, patch), null);
      });
    },
  );
}
