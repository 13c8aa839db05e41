import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import type { MarketOrder, Reputation, Review } from "./model.ts";
import { marketProblems } from "./problems.ts";
import * as store from "./reviews-store.ts";

/** The score of model.ts's Reputation, from its counts. */
export function scoreOf(
  r: Pick<Reputation, "reviews" | "completed" | "disputed" | "refunded">,
  total: number,
): number {
  const rating = (total + 3 * 2) / (5 * (r.reviews + 2));
  const outcomes = (r.completed + 1) / (r.completed + r.disputed + r.refunded + 2);
  return Math.round(((rating + outcomes) / 2) * 1000) / 1000;
}

function emptyCounts() {
  return { reviews: 0, completed: 0, resolved: 0, disputed: 0, refunded: 0, cancelled: 0 };
}

/** Reviews (once per side, after completion or resolution) and reputation. */
export function createReviews(deps: { clock: Clock }) {
  const { clock } = deps;

  async function create(
    tx: Executor,
    order: MarketOrder,
    author_id: string,
    spec: { rating: number; text: string },
  ): Promise<Review> {
    if (order.status !== "COMPLETED" && order.status !== "RESOLVED") {
      throw new Problem(
        marketProblems.MARKET_REVIEW_NOT_ALLOWED,
        `order ${order.id} is ${order.status}`,
        { extensions: { status: order.status } },
      );
    }
    const buyer = author_id === order.buyer_id;
    const review: Review = {
      id: newId("rev", clock.now_ms()),
      order_id: order.id,
      author_id,
      subject_id: buyer ? order.seller_id : order.buyer_id,
      author_role: buyer ? "buyer" : "seller",
      rating: spec.rating,
      text: spec.text,
      created_at_ms: clock.now_ms(),
    };
    if (!(await store.insertReview(tx, review)))
      throw new Problem(
        marketProblems.MARKET_REVIEW_EXISTS,
        `you reviewed order ${order.id} already`,
      );
    return review;
  }

  /** Reputation of each principal, from reviews received and the outcomes of its orders. */
  async function reputations(
    ex: Executor,
    ids: readonly string[],
  ): Promise<Map<string, Reputation>> {
    const unique = [...new Set(ids)];
    const counts = new Map(unique.map((id) => [id, { ...emptyCounts(), total: 0 }]));
    for (const r of await store.ratingTotals(ex, unique)) {
      const c = counts.get(r.id);
      if (c) Object.assign(c, { reviews: r.n, total: r.total });
    }
    for (const o of await store.outcomeTotals(ex, unique)) {
      const c = counts.get(o.id);
      if (!c) continue;
      if (o.disputed) c.disputed += o.n;
      if (o.status === "COMPLETED") c.completed += o.n;
      else if (o.status === "RESOLVED") c.resolved += o.n;
      else if (o.status === "REFUNDED") c.refunded += o.n;
      else if (o.status === "CANCELLED") c.cancelled += o.n;
    }
    const out = new Map<string, Reputation>();
    for (const [id, { total, ...c }] of counts) {
      out.set(id, {
        principal_id: id,
        ...c,
        rating_mean: c.reviews === 0 ? null : Math.round((total / c.reviews) * 100) / 100,
        score: scoreOf(c, total),
      });
    }
    return out;
  }

  return {
    create,
    reputations,
    ofOrder: store.reviewsOfOrder,
    of: store.reviewsOf,
  };
}

export type Reviews = ReturnType<typeof createReviews>;
