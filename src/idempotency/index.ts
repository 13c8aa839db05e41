export { firstDifference } from "./diff.ts";
export { createIdempotency, type Idempotency, isValidIdempotencyKey } from "./idempotency.ts";
export { idempotencyMigrations } from "./migrations.ts";
export * from "./model.ts";
