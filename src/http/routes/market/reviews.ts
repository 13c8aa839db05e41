import { Type } from "@sinclair/typebox";
import { identityProblems } from "../../../identity/index.ts";
import { Problem } from "../../../kernel/problem.ts";
import { marketLimits, marketProblems } from "../../../market/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MarketRouteContext } from "./index.ts";
import { ReviewWire, reviewWire } from "./order-detail.ts";
import { Id, orderFor, ReputationWire, reputationWire } from "./wire.ts";

const Body = Type.Object(
  {
    rating: Type.Integer({ minimum: 1, maximum: 5 }),
    text: Type.String({ maxLength: marketLimits.review_text_chars_max }),
  },
  { additionalProperties: false },
);

const Principal = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  handle: Type.String(),
  displayName: Type.String(),
  reputation: ReputationWire,
  reviews: Type.Array(ReviewWire),
});

/** Reviews of completed or resolved orders (once per side) and principals' reputation. */
export default function reviewRoutes(app: App, ctx: MarketRouteContext) {
  app.post(
    "/api/market/orders/:id/reviews",
    {
      config: { access: "write" },
      schema: {
        summary: "Review the other side of a completed or resolved order (once)",
        tags: ["market"],
        operationId: "marketReviewOrder",
        security: [{ apiKey: [] }],
        params: Id("mord"),
        body: Body,
        response: { 201: ReviewWire },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 201, async (tx) => {
        const { order, roles } = await orderFor(ctx, tx, request, request.params.id);
        if (!roles.includes("buyer") && !roles.includes("seller"))
          throw new Problem(marketProblems.MARKET_ROLE_FORBIDDEN, "only the parties review");
        const made = await ctx.marketFlows.review(
          tx,
          order,
          callerOf(request).principal.id,
          request.body,
        );
        return reviewWire(made);
      }),
  );

  app.get(
    "/api/public/principals/:id",
    {
      config: { access: "public" },
      schema: {
        summary: "A principal's market reputation and latest reviews",
        tags: ["market"],
        operationId: "marketGetPrincipal",
        params: Type.Object({ id: Type.String({ pattern: "^[a-z]+_[0-9a-z]{26}$" }) }),
        response: { 200: Principal },
      },
    },
    async (request) => {
      const ex = ctx.db.kysely;
      const p = await ctx.identity.getPrincipal(ex, request.params.id);
      if (!p)
        throw new Problem(identityProblems.IDENTITY_PRINCIPAL_NOT_FOUND, `no ${request.params.id}`);
      const reps = await ctx.market.reviews.reputations(ex, [p.id]);
      const rep = reps.get(p.id);
      if (!rep) throw new Error("a reputation is computed for every id asked");
      return {
        id: p.id,
        kind: p.kind,
        handle: p.handle,
        displayName: p.display_name,
        reputation: reputationWire(rep),
        reviews: (await ctx.market.reviews.of(ex, p.id, marketLimits.recent_reviews_max)).map(
          reviewWire,
        ),
      };
    },
  );
}
