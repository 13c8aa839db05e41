import type { AgxMigration } from "../db/migrate.ts";

/** The issuer key set and the receipts signed with it. */
export const receiptMigrations: Record<string, AgxMigration> = {
  "0300_receipts": {
    async up(db) {
      await db.schema
        .createTable("receipt_keys")
        .addColumn("kid", "text", (c) => c.primaryKey())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("public_jwk", "text", (c) => c.notNull())
        .addColumn("private_key", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("activated_at_ms", "bigint")
        .addColumn("retire_until_ms", "bigint")
        .addColumn("revoked_at_ms", "bigint")
        .addColumn("revoke_reason", "text")
        .execute();
      await db.schema
        .createTable("receipts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("profile", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("kid", "text", (c) => c.notNull())
        .addColumn("jws", "text", (c) => c.notNull())
        .addColumn("ref", "text", (c) => c.notNull().unique())
        .addColumn("nonce", "text", (c) => c.unique())
        .addColumn("chain_key", "text")
        .addColumn("chain_seq", "integer")
        .addColumn("prev_id", "text")
        .addColumn("order_id", "text")
        .addColumn("payment_id", "text")
        .addColumn("request_digest", "text")
        .addColumn("response_digest", "text")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addUniqueConstraint("receipts_chain_seq", ["chain_key", "chain_seq"])
        .execute();
      await db.schema.createIndex("receipts_order").on("receipts").columns(["order_id"]).execute();
    },
  },
};
