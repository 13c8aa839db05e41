import { defineProblems } from "../kernel/problem.ts";

/** Problem codes of the floor statistics; each has docs/problems/<CODE>.md. */
export const statsProblems = defineProblems({
  STATS_STREAMS_BUSY: { status: 503, title: "Too many live feed streams are open" },
  STATS_CURSOR_INVALID: { status: 400, title: "The Last-Event-ID is not a live feed cursor" },
});
