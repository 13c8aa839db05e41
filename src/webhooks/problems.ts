import { defineProblems } from "../kernel/problem.ts";

/** Problems of webhook subscriptions and deliveries (blocked URLs are NET_URL_BLOCKED). */
export const webhookProblems = defineProblems({
  WEBHOOK_ENDPOINT_NOT_FOUND: { status: 404, title: "The webhook endpoint does not exist" },
  WEBHOOK_ENDPOINT_LIMIT: {
    status: 409,
    title: "You have as many webhook endpoints as you may",
  },
  WEBHOOK_EVENT_TYPE_UNKNOWN: { status: 422, title: "The event type is not one the hub sends" },
  WEBHOOK_ENDPOINT_DISABLED: { status: 409, title: "The webhook endpoint is disabled" },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, title: "The webhook delivery does not exist" },
  WEBHOOK_DELIVERY_PENDING: {
    status: 409,
    title: "The delivery is still being attempted",
  },
});
