import type { AgxMigration } from "../db/migrate.ts";

/** The ledger's tables: assets, accounts, transfers and the double-entry lines they write. */
export const ledgerMigrations: Record<string, AgxMigration> = {
  "0200_ledger": {
    async up(db) {
      await db.schema
        .createTable("ledger_assets")
        .addColumn("code", "text", (c) => c.primaryKey())
        .addColumn("decimals", "integer", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("ledger_accounts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull().references("ledger_assets.code"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("allow_negative", "integer", (c) => c.notNull())
        .addColumn("balance_minor", "bigint", (c) => c.notNull())
        .addColumn("pending_debits_minor", "bigint", (c) => c.notNull())
        .addColumn("pending_credits_minor", "bigint", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addUniqueConstraint("ledger_accounts_owner_asset_kind", ["owner_id", "asset", "kind"])
        .execute();
      await db.schema
        .createTable("ledger_transfers")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("debit_account_id", "text", (c) => c.notNull().references("ledger_accounts.id"))
        .addColumn("credit_account_id", "text", (c) => c.notNull().references("ledger_accounts.id"))
        .addColumn("amount_minor", "bigint", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("code", "text", (c) => c.notNull())
        .addColumn("pending_id", "text")
        .addColumn("timeout_at_ms", "bigint")
        .addColumn("posted_amount_minor", "bigint")
        .addColumn("batch_id", "text")
        .addColumn("metadata", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("ledger_transfers_debit")
        .on("ledger_transfers")
        .columns(["debit_account_id", "created_at_ms"])
        .execute();
      await db.schema
        .createIndex("ledger_transfers_credit")
        .on("ledger_transfers")
        .columns(["credit_account_id", "created_at_ms"])
        .execute();
      await db.schema
        .createIndex("ledger_transfers_open_holds")
        .on("ledger_transfers")
        .columns(["state", "timeout_at_ms"])
        .execute();
      await db.schema
        .createTable("ledger_entries")
        .addColumn("transfer_id", "text", (c) => c.notNull().references("ledger_transfers.id"))
        .addColumn("account_id", "text", (c) => c.notNull().references("ledger_accounts.id"))
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("amount_minor", "bigint", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("ledger_entries_pk", ["transfer_id", "account_id"])
        .execute();
      await db.schema
        .createIndex("ledger_entries_account")
        .on("ledger_entries")
        .columns(["account_id"])
        .execute();
    },
  },
};
