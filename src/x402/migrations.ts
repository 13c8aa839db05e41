import type { AgxMigration } from "../db/migrate.ts";

/**
 * The x402 module's tables: payment identifiers (idempotency of paid requests), transaction
 * claims (a tx hash pays for one thing only, ever) and settlements broadcast but not confirmed.
 */
export const x402Migrations: Record<string, AgxMigration> = {
  "1100_x402": {
    async up(db) {
      await db.schema
        .createTable("x402_payment_ids")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("payload_sha256", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("response", "text")
        .addColumn("result", "text")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("x402_payment_ids_created")
        .on("x402_payment_ids")
        .columns(["created_at_ms"])
        .execute();
      await db.schema
        .createTable("x402_tx_claims")
        .addColumn("chain", "text", (c) => c.notNull())
        .addColumn("tx_hash", "text", (c) => c.notNull())
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("x402_tx_claims_pk", ["chain", "tx_hash"])
        .execute();
      await db.schema
        .createTable("x402_pending_settlements")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("tx_hash", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  "1720_x402_reconciliations": {
    async up(db) {
      // Settlements whose outcome was unknown, until the chain says how they ended.
      await db.schema
        .createTable("x402_reconciliations")
        .addColumn("order_id", "text", (c) => c.primaryKey())
        .addColumn("buyer_id", "text", (c) => c.notNull())
        .addColumn("network", "text", (c) => c.notNull())
        .addColumn("token", "text", (c) => c.notNull())
        .addColumn("pay_to", "text", (c) => c.notNull())
        .addColumn("authorizer", "text", (c) => c.notNull())
        .addColumn("nonce", "text", (c) => c.notNull())
        .addColumn("valid_before", "text", (c) => c.notNull())
        .addColumn("amount_atomic", "text", (c) => c.notNull())
        .addColumn("tx_hash", "text")
        .addColumn("from_block", "text", (c) => c.notNull())
        .addColumn("payment_id", "text")
        .addColumn("payload_sha256", "text")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("x402_reconciliations_state")
        .on("x402_reconciliations")
        .columns(["state", "created_at_ms"])
        .execute();
    },
  },
  "1940_x402_reconcile_pipelines": {
    async up(db) {
      // A pending settlement pays an order or a pipeline job (whose advance is undone if unpaid).
      await db.schema
        .alterTable("x402_reconciliations")
        .addColumn("subject", "text", (c) => c.notNull().defaultTo("order"))
        .execute();
      await db.schema.alterTable("x402_reconciliations").addColumn("advance_id", "text").execute();
    },
  },
  "1941_x402_escrow_actions": {
    async up(db) {
      // On-chain escrow releases and refunds the hub (the arbiter) sends, until mined.
      await db.schema
        .createTable("x402_escrow_actions")
        .addColumn("order_id", "text", (c) => c.primaryKey())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("chain", "text", (c) => c.notNull())
        .addColumn("escrow_address", "text", (c) => c.notNull())
        .addColumn("order_ref", "text", (c) => c.notNull())
        .addColumn("actor_id", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("tx_hash", "text")
        .addColumn("error_code", "text")
        .addColumn("error", "text")
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .execute();
    },
  },
};
