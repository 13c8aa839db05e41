import type { Database } from "../db/db.ts";
import type { AgxMigration } from "../db/migrate.ts";

/**
 * Console sessions, SIWE nonces and the wallets that signed in. Every statement is "if not
 * exists" so the tables may be made before the hub lists this migration (see ensureSessionTables).
 */
export const sessionMigrations: Record<string, AgxMigration> = {
  "1600_sessions": {
    async up(db) {
      await db.schema
        .createTable("session_nonces")
        .ifNotExists()
        .addColumn("nonce", "text", (c) => c.primaryKey())
        .addColumn("domain", "text", (c) => c.notNull())
        .addColumn("uri", "text", (c) => c.notNull())
        .addColumn("chain_id", "bigint", (c) => c.notNull())
        .addColumn("statement", "text", (c) => c.notNull())
        .addColumn("issued_at_ms", "bigint", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        .addColumn("consumed_at_ms", "bigint")
        .execute();
      await db.schema
        .createTable("session_sessions")
        .ifNotExists()
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("token_sha256", "text", (c) => c.notNull().unique())
        .addColumn("principal_id", "text", (c) => c.notNull())
        .addColumn("method", "text", (c) => c.notNull())
        .addColumn("address", "text")
        .addColumn("key_id", "text")
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        .addColumn("revoked_at_ms", "bigint")
        .execute();
      await db.schema
        .createIndex("session_sessions_expiry")
        .ifNotExists()
        .on("session_sessions")
        .columns(["expires_at_ms"])
        .execute();
      await db.schema
        .createTable("session_wallets")
        .ifNotExists()
        .addColumn("address", "text", (c) => c.primaryKey())
        .addColumn("principal_id", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
    },
  },
};

/**
 * Makes the tables when the hub's migration list does not include sessionMigrations yet (every
 * statement is "if not exists", so running it again, or the listed migration later, is harmless).
 */
export async function ensureSessionTables(db: Database): Promise<void> {
  for (const migration of Object.values(sessionMigrations))
    await migration.up(db.kysely, db.dialect);
}
