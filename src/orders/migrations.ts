import type { AgxMigration } from "../db/migrate.ts";

/** Orders, their payments, audit events, runs and outcomes. */
export const orderMigrations: Record<string, AgxMigration> = {
  "0600_orders": {
    async up(db) {
      await db.schema
        .createTable("orders")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("buyer_id", "text", (c) => c.notNull())
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("service_id", "text", (c) => c.notNull())
        .addColumn("service_snapshot", "text", (c) => c.notNull())
        .addColumn("skill_key", "text", (c) => c.notNull())
        .addColumn("operation", "text", (c) => c.notNull())
        .addColumn("input", "text", (c) => c.notNull())
        .addColumn("input_sha256", "text", (c) => c.notNull())
        .addColumn("quote_id", "text")
        .addColumn("amount_minor", "bigint", (c) => c.notNull())
        .addColumn("fee_minor", "bigint", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("rail", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("client_ref", "text")
        .addColumn("handoff", "text")
        .addColumn("error", "text")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .addUniqueConstraint("orders_buyer_client_ref", ["buyer_id", "client_ref"])
        .execute();
      await db.schema
        .createIndex("orders_buyer")
        .on("orders")
        .columns(["buyer_id", "id"])
        .execute();
      await db.schema
        .createIndex("orders_provider")
        .on("orders")
        .columns(["provider_id", "id"])
        .execute();
      await db.schema
        .createIndex("orders_status")
        .on("orders")
        .columns(["status", "updated_at_ms"])
        .execute();
      await db.schema
        .createTable("order_payments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("order_id", "text", (c) => c.notNull().unique())
        .addColumn("rail", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("amount_minor", "bigint", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("hold_id", "text")
        .addColumn("channel_id", "text")
        .addColumn("verification", "text", (c) => c.notNull())
        .addColumn("proof", "text")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("order_events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("from_status", "text", (c) => c.notNull())
        .addColumn("to_status", "text", (c) => c.notNull())
        .addColumn("actor_id", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("order_events_order")
        .on("order_events")
        .columns(["order_id", "id"])
        .execute();
      await db.schema
        .createTable("order_runs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("service_id", "text", (c) => c.notNull())
        .addColumn("skill_key", "text", (c) => c.notNull())
        .addColumn("route", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("started_at_ms", "bigint", (c) => c.notNull())
        .addColumn("finished_at_ms", "bigint")
        .addColumn("latency_ms", "integer")
        .addColumn("error", "text")
        .execute();
      await db.schema
        .createIndex("order_runs_order")
        .on("order_runs")
        .columns(["order_id"])
        .execute();
      await db.schema
        .createIndex("order_runs_service")
        .on("order_runs")
        .columns(["service_id", "started_at_ms"])
        .execute();
      await db.schema
        .createTable("order_outcomes")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("run_id", "text", (c) => c.notNull().unique())
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("result_sha256", "text", (c) => c.notNull())
        .addColumn("result", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  "1300_order_pairing": {
    async up(db) {
      await db.schema.alterTable("orders").addColumn("pairing_id", "text").execute();
    },
  },
};
