import { type Executor, num, tablesOf } from "../db/db.ts";
import type { Review } from "./model.ts";

type Int = number | bigint;

interface ReviewRow extends Omit<Review, "rating" | "created_at_ms"> {
  rating: Int;
  created_at_ms: Int;
}

interface ReviewTables {
  market_reviews: ReviewRow;
  market_orders: {
    buyer_id: string;
    seller_id: string;
    status: string;
    was_disputed: Int;
  };
}

const q = (ex: Executor) => tablesOf<ReviewTables>(ex);

const toReview = (r: ReviewRow): Review => ({
  ...r,
  author_role: r.author_role as Review["author_role"],
  rating: num(r.rating),
  created_at_ms: num(r.created_at_ms),
});

/** Inserts a review; false when the author already reviewed the order. */
export async function insertReview(ex: Executor, r: Review): Promise<boolean> {
  const result = await q(ex)
    .insertInto("market_reviews")
    .values(r)
    .onConflict((oc) => oc.columns(["order_id", "author_id"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function reviewsOfOrder(ex: Executor, order_id: string): Promise<Review[]> {
  const rows = await q(ex)
    .selectFrom("market_reviews")
    .selectAll()
    .where("order_id", "=", order_id)
    .orderBy("id")
    .execute();
  return rows.map(toReview);
}

/** Reviews a principal received, newest first. */
export async function reviewsOf(ex: Executor, subject_id: string, limit: number) {
  const rows = await q(ex)
    .selectFrom("market_reviews")
    .selectAll()
    .where("subject_id", "=", subject_id)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toReview);
}

/** Count and rating sum of the reviews each principal received. */
export async function ratingTotals(ex: Executor, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const rows = await q(ex)
    .selectFrom("market_reviews")
    .select((eb) => ["subject_id", eb.fn.countAll().as("n"), eb.fn.sum<Int>("rating").as("total")])
    .where("subject_id", "in", [...ids])
    .groupBy("subject_id")
    .execute();
  return rows.map((r) => ({ id: r.subject_id, n: num(r.n as Int), total: num(r.total) }));
}

/** Orders per (party, status, disputed flag) for the given principals, either side. */
export async function outcomeTotals(ex: Executor, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const out: { id: string; status: string; disputed: boolean; n: number }[] = [];
  for (const side of ["buyer_id", "seller_id"] as const) {
    const rows = await q(ex)
      .selectFrom("market_orders")
      .select((eb) => [
        eb.ref(side).as("party"),
        "status",
        "was_disputed",
        eb.fn.countAll().as("n"),
      ])
      .where(side, "in", [...ids])
      .groupBy([side, "status", "was_disputed"])
      .execute();
    for (const r of rows)
      out.push({
        id: r.party as string,
        status: r.status,
        disputed: num(r.was_disputed) === 1,
        n: num(r.n as Int),
      });
  }
  return out;
}
