import type { AgxMigration } from "../db/migrate.ts";

/** Principals and their API keys. */
export const identityMigrations: Record<string, AgxMigration> = {
  "0100_identity": {
    async up(db) {
      await db.schema
        .createTable("identity_principals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("handle", "text", (c) => c.notNull().unique())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("webhook_url", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("identity_api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("principal_id", "text", (c) => c.notNull().references("identity_principals.id"))
        .addColumn("secret_sha256", "text", (c) => c.notNull().unique())
        .addColumn("prefix", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("label", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("last_used_at_ms", "bigint")
        .addColumn("revoked_at_ms", "bigint")
        .execute();
      await db.schema
        .createIndex("identity_api_keys_principal")
        .on("identity_api_keys")
        .columns(["principal_id"])
        .execute();
    },
  },
  "0101_identity_dpop": {
    async up(db) {
      // RFC 9449 key binding: a key with a thumbprint works only with a DPoP proof of that key.
      await db.schema.alterTable("identity_api_keys").addColumn("dpop_jkt", "text").execute();
    },
  },
};
