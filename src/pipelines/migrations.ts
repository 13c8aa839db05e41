import type { AgxMigration } from "../db/migrate.ts";

/** Pipeline jobs, their steps and their progress log (served as Server-Sent Events). */
export const pipelineMigrations: Record<string, AgxMigration> = {
  "1200_pipelines": {
    async up(db) {
      await db.schema
        .createTable("pipeline_jobs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("trace_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("on_failure", "text", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("source_channel_id", "text")
        .addColumn("float_channel_id", "text", (c) => c.notNull())
        .addColumn("budget_minor", "bigint")
        .addColumn("quoted_minor", "bigint", (c) => c.notNull())
        .addColumn("reserved_minor", "bigint", (c) => c.notNull())
        .addColumn("spent_minor", "bigint")
        .addColumn("refunded_minor", "bigint")
        .addColumn("nodes_json", "text", (c) => c.notNull())
        .addColumn("request_sha256", "text", (c) => c.notNull())
        .addColumn("client_key", "text")
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("runner", "text")
        .addColumn("lease_until_ms", "bigint", (c) => c.notNull())
        .addColumn("deadline_at_ms", "bigint", (c) => c.notNull())
        .addColumn("result_json", "text")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .addColumn("completed_at_ms", "bigint")
        .addUniqueConstraint("pipeline_jobs_client_key", ["owner_id", "client_key"])
        .execute();
      await db.schema
        .createIndex("pipeline_jobs_lease")
        .on("pipeline_jobs")
        .columns(["status", "lease_until_ms"])
        .execute();
      await db.schema
        .createTable("pipeline_steps")
        .addColumn("job_id", "text", (c) => c.notNull())
        .addColumn("node_id", "text", (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("capability_id", "text", (c) => c.notNull())
        .addColumn("service_id", "text", (c) => c.notNull())
        .addColumn("operation", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("estimate_minor", "bigint", (c) => c.notNull())
        .addColumn("price_minor", "bigint", (c) => c.notNull())
        .addColumn("order_id", "text")
        .addColumn("input_json", "text")
        .addColumn("output_json", "text")
        .addColumn("latency_ms", "integer")
        .addColumn("receipt_id", "text")
        .addColumn("error", "text")
        .addColumn("started_at_ms", "bigint")
        .addColumn("finished_at_ms", "bigint")
        .addPrimaryKeyConstraint("pipeline_steps_pk", ["job_id", "node_id"])
        .execute();
      await db.schema
        .createTable("pipeline_events")
        .addColumn("job_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("data_json", "text", (c) => c.notNull())
        .addColumn("at_ms", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("pipeline_events_pk", ["job_id", "seq"])
        .execute();
    },
  },
  "1942_pipeline_job_tokens": {
    async up(db) {
      // Access tokens of jobs paid by a key-less x402 payer: only their hash is kept.
      await db.schema
        .createTable("pipeline_job_tokens")
        .addColumn("job_id", "text", (c) => c.primaryKey())
        .addColumn("token_sha256", "text", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
    },
  },
};
