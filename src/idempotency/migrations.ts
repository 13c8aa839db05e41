import type { AgxMigration } from "../db/migrate.ts";

/** Reservations and stored responses of Idempotency-Key requests. */
export const idempotencyMigrations: Record<string, AgxMigration> = {
  "0110_idempotency": {
    async up(db) {
      await db.schema
        .createTable("idem_requests")
        .addColumn("scope_sha256", "text", (c) => c.primaryKey())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("method", "text", (c) => c.notNull())
        .addColumn("route", "text", (c) => c.notNull())
        .addColumn("idem_key", "text", (c) => c.notNull())
        .addColumn("request_json", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("token", "text", (c) => c.notNull())
        .addColumn("response_status", "integer")
        .addColumn("response_json", "text")
        .addColumn("locked_until_ms", "bigint", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("idem_requests_expiry")
        .on("idem_requests")
        .columns(["expires_at_ms"])
        .execute();
    },
  },
};
