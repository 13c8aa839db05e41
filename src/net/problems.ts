import { defineProblems } from "../kernel/problem.ts";

/** Problems raised by outbound requests (the SSRF guard and its fetch). */
export const netProblems = defineProblems({
  NET_URL_BLOCKED: { status: 403, title: "The URL may not be fetched" },
  NET_FETCH_FAILED: { status: 502, title: "The remote server could not be fetched" },
  NET_FETCH_TIMEOUT: { status: 504, title: "The remote server did not answer in time" },
  NET_RESPONSE_TOO_LARGE: { status: 502, title: "The remote response is too large" },
});
