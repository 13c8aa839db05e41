import { defineProblems } from "../../kernel/problem.ts";

/** Problems of PEAC policy enforcement on governed routes. */
export const peacProblems = defineProblems({
  PEAC_PURPOSE_DENIED: { status: 403, title: "The declared purpose is not allowed here" },
  PEAC_PURPOSE_INVALID: { status: 400, title: "The PEAC-Purpose header is not valid" },
  PEAC_RATE_LIMITED: { status: 429, title: "The policy's rate limit is reached" },
  PEAC_PAYMENT_REQUIRED: { status: 402, title: "Payment is required under the access policy" },
});
