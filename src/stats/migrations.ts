import { sql } from "kysely";
import type { AgxMigration } from "../db/migrate.ts";

/** The per-service health summary and the claim row that lets one process refresh it at a time. */
export const statsMigrations: Record<string, AgxMigration> = {
  "1550_stats": {
    async up(db) {
      await db.schema
        .createTable("stats_service_health")
        .addColumn("service", "text", (c) => c.primaryKey())
        .addColumn("runs", "bigint", (c) => c.notNull())
        .addColumn("succeeded", "bigint", (c) => c.notNull())
        .addColumn("failed", "bigint", (c) => c.notNull())
        .addColumn("p50_latency_ms", "bigint")
        .addColumn("window_start_ms", "bigint", (c) => c.notNull())
        .addColumn("refreshed_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("stats_refreshes")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("refreshed_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await sql`insert into stats_refreshes (name, refreshed_at_ms) values ('health', 0)`.execute(
        db,
      );
    },
  },
};
