export { statsLimits } from "./limits.ts";
export {
  cursorAt,
  decodeCursor,
  encodeCursor,
  type LiveCursor,
  livePage,
  ulidFloor,
} from "./live.ts";
export { statsMigrations } from "./migrations.ts";
export * from "./model.ts";
export { statsProblems } from "./problems.ts";
export { createStats, type Stats, type StatsDeps } from "./stats.ts";
export { rateOf } from "./store.ts";
export { sseFrame } from "./stream.ts";
