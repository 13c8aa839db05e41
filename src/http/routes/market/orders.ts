import { Type } from "@sinclair/typebox";
import { scopeCovers } from "../../../identity/index.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import {
  type EventInput,
  type MarketOrder,
  marketEvents,
  marketLimits,
  marketProblems,
  marketStatuses,
} from "../../../market/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import { DecimalAmount } from "../../schemas.ts";
import { minorOf } from "../../wire.ts";
import type { MarketRouteContext } from "./index.ts";
import { OrderDetailWire, orderDetail } from "./order-detail.ts";
import { Attachments, attachmentsOf, Id, msOf, OrderWire, orderFor, orderWire } from "./wire.ts";

const Text = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });

const EventBody = Type.Object(
  {
    event: Type.Union(marketEvents.map((e) => Type.Literal(e))),
    terms: Type.Optional(
      Type.Object(
        {
          scope: Type.Optional(Text(marketLimits.scope_chars_max, 1)),
          price: Type.Optional(DecimalAmount),
          deliveryDeadline: Type.Optional(
            Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    proof: Type.Optional(
      Type.Object(
        {
          text: Text(marketLimits.proof_text_chars_max),
          urls: Type.Optional(
            Type.Array(Type.String({ format: "uri", pattern: "^https?://", maxLength: 2048 }), {
              maxItems: marketLimits.proof_urls_max,
            }),
          ),
          digests: Type.Optional(
            Type.Array(Type.String({ pattern: "^sha256:[0-9a-f]{64}$" }), {
              maxItems: marketLimits.proof_digests_max,
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    reason: Type.Optional(Text(marketLimits.reason_chars_max, 1)),
    evidenceDeadline: Type.Optional(Type.String({ format: "date-time" })),
    evidence: Type.Optional(Attachments),
    sellerShareBps: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
type Body = typeof EventBody.static;

const Reply = Type.Object({
  order: OrderWire,
  receipts: Type.Array(Type.String()),
  replayed: Type.Boolean(),
});

/** The wire body as the market's event input (money in minor units, times in ms). */
function inputOf(ctx: MarketRouteContext, order: MarketOrder, b: Body, now_ms: number) {
  const input: EventInput = {};
  if (b.terms) {
    const t = b.terms;
    input.terms = {
      ...(t.scope !== undefined ? { scope: t.scope } : {}),
      ...(t.price !== undefined
        ? { price_minor: minorOf(ctx, t.price, order.terms.asset, "/terms/price") }
        : {}),
      ...(t.deliveryDeadline !== undefined
        ? { delivery_deadline_ms: t.deliveryDeadline === null ? null : msOf(t.deliveryDeadline) }
        : {}),
    };
  }
  if (b.proof)
    input.proof = { text: b.proof.text, urls: b.proof.urls ?? [], digests: b.proof.digests ?? [] };
  if (b.reason !== undefined) input.reason = b.reason;
  if (b.sellerShareBps !== undefined) input.seller_share_bps = b.sellerShareBps;
  if (b.evidenceDeadline !== undefined) {
    const due = msOf(b.evidenceDeadline);
    if (due <= now_ms || due - now_ms > marketLimits.evidence_window_ms_max)
      throw new Problem(
        marketProblems.MARKET_EVENT_INVALID,
        "the evidence deadline is out of range",
        {
          errors: [
            { pointer: "/evidenceDeadline", detail: "must be in the future, within 30 days" },
          ],
        },
      );
    input.evidence_due_at_ms = due;
  }
  if (b.evidence && b.event !== "dispute")
    throw new Problem(marketProblems.MARKET_EVENT_INVALID, `${b.event} takes no evidence`, {
      errors: [{ pointer: "/evidence", detail: `is not a field of ${b.event}` }],
    });
  return input;
}

/** Orders: mine, one with its trail, and Pact's PATCH {event} that moves one. */
export default function orderRoutes(app: App, ctx: MarketRouteContext) {
  const common = { tags: ["market"], security: [{ apiKey: [] }] };

  app.get(
    "/api/market/orders",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "My market orders as buyer or seller, newest first (operator: all=true)",
        description:
          "`all=true` lists every order of the hub (operator keys and sessions only; 403 " +
          "FORBIDDEN otherwise), e.g. `all=true&status=DISPUTED` is the disputes queue.",
        operationId: "marketListOrders",
        querystring: Type.Object(
          {
            all: Type.Optional(Type.Boolean({ description: "every party's orders (operator)" })),
            status: Type.Optional(Type.Union(marketStatuses.map((s) => Type.Literal(s)))),
            listingId: Type.Optional(Type.String({ pattern: "^lst_[0-9a-z]{26}$" })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: marketLimits.page_size_max })),
            cursor: Type.Optional(Type.String({ pattern: "^mord_[0-9a-z]{26}$" })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(OrderWire),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const caller = callerOf(request);
      if (q.all === true && !scopeCovers(caller.key.scope, "admin"))
        throw new Problem(
          kernelProblems.FORBIDDEN,
          "all=true lists every party's orders: operator only",
        );
      const limit = q.limit ?? marketLimits.page_size_default;
      const rows = await ctx.market.orders.list(
        ctx.db.kysely,
        {
          party_id: q.all === true ? null : caller.principal.id,
          ...(q.status ? { status: q.status } : {}),
          ...(q.listingId ? { listing_id: q.listingId } : {}),
        },
        q.cursor ?? null,
        limit + 1,
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map((o) => orderWire(ctx, o)),
        nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );

  app.get(
    "/api/market/orders/:id",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "One order with its audit trail, receipts, dispute and reviews",
        operationId: "marketGetOrder",
        params: Id("mord"),
        response: { 200: OrderDetailWire },
      },
    },
    async (request) => {
      const { order } = await orderFor(ctx, ctx.db.kysely, request, request.params.id);
      return orderDetail(ctx, ctx.db.kysely, order);
    },
  );

  app.patch(
    "/api/market/orders/:id",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary:
          "Fire an event (agree, fund, start, submit_proof, start_review, accept, reject, " +
          "dispute, cancel, resolve); with Idempotency-Key a repeat returns the state as it is",
        operationId: "marketOrderEvent",
        params: Id("mord"),
        body: EventBody,
        response: { 200: Reply },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const b = request.body;
        const { order, roles } = await orderFor(ctx, tx, request, request.params.id);
        const caller = callerOf(request).principal.id;
        const fired = await ctx.marketFlows.fire(
          tx,
          order,
          b.event,
          { id: caller, roles, reason: b.event, request_key: request.idem?.scope.key ?? null },
          inputOf(ctx, order, b, ctx.clock.now_ms()),
        );
        if (b.evidence && !fired.replayed) {
          const thread = await ctx.market.threads.ofOrder(tx, order.id);
          await ctx.marketFlows.postMessage(
            tx,
            thread.id,
            { id: caller, operator: false },
            {
              kind: "evidence",
              body: b.reason ?? "evidence",
              attachments: attachmentsOf(b.evidence),
            },
          );
        }
        return {
          order: orderWire(ctx, fired.order),
          receipts: fired.receipts.map((r) => r.jws),
          replayed: fired.replayed,
        };
      }),
  );
}
