import { defineProblems } from "../kernel/problem.ts";

/** Problems of listings, negotiations, market orders, threads, disputes and reviews. */
export const marketProblems = defineProblems({
  MARKET_LISTING_NOT_FOUND: { status: 404, title: "The listing does not exist" },
  MARKET_LISTING_CLOSED: { status: 409, title: "The listing takes no more negotiations" },
  MARKET_LISTING_INVALID: { status: 422, title: "The listing is not valid" },
  MARKET_NOT_LISTING_OWNER: { status: 403, title: "Only the listing's owner may change it" },
  MARKET_SELF_DEAL: { status: 422, title: "You cannot negotiate on your own listing" },
  MARKET_NEGOTIATIONS_FULL: {
    status: 409,
    title: "The listing has as many open negotiations as it may",
  },
  MARKET_ORDER_NOT_FOUND: { status: 404, title: "The market order does not exist" },
  MARKET_TRANSITION_FORBIDDEN: {
    status: 409,
    title: "The market order is not in a state that allows this event",
  },
  MARKET_ROLE_FORBIDDEN: { status: 403, title: "Your side of the order may not fire this event" },
  MARKET_ALREADY_FUNDED: { status: 409, title: "The order is already funded" },
  MARKET_DELIVERY_NOT_OVERDUE: {
    status: 409,
    title: "The delivery deadline has not passed yet",
  },
  MARKET_DISPUTE_WINDOW_CLOSED: {
    status: 409,
    title: "The order can no longer be disputed",
  },
  MARKET_EVENT_INVALID: { status: 422, title: "The event's fields are not valid" },
  MARKET_CONCURRENT_CHANGE: {
    status: 409,
    title: "The order changed while this event was applied",
  },
  MARKET_THREAD_NOT_FOUND: { status: 404, title: "The thread does not exist" },
  MARKET_THREAD_STREAMS_BUSY: {
    status: 503,
    title: "Too many live thread streams are open",
  },
  MARKET_EVIDENCE_CLOSED: { status: 409, title: "Evidence is not accepted on this order now" },
  MARKET_REVIEW_NOT_ALLOWED: {
    status: 409,
    title: "The order cannot be reviewed before it is completed or resolved",
  },
  MARKET_REVIEW_EXISTS: { status: 409, title: "You have already reviewed this order" },
});
