import type { AgxMigration } from "../db/migrate.ts";

/** Messages waiting to leave the hub, and timed events. */
export const outboxMigrations: Record<string, AgxMigration> = {
  "0120_outbox": {
    async up(db) {
      await db.schema
        .createTable("outbox_messages")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("topic", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("due_at_ms", "bigint", (c) => c.notNull())
        .addColumn("locked_until_ms", "bigint", (c) => c.notNull())
        .addColumn("dedupe_key", "text", (c) => c.unique())
        .addColumn("last_error", "text")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("finished_at_ms", "bigint")
        .execute();
      await db.schema
        .createIndex("outbox_messages_due")
        .on("outbox_messages")
        .columns(["state", "due_at_ms"])
        .execute();
    },
  },
};
