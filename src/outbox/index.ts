export { startTasks, type Task } from "./loop.ts";
export { outboxMigrations } from "./migrations.ts";
export * from "./model.ts";
export {
  backoffDelay_ms,
  createOutbox,
  createOutboxWorker,
  type Outbox,
  type OutboxWorker,
} from "./outbox.ts";
