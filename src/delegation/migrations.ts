import { sql } from "kysely";
import type { AgxMigration } from "../db/migrate.ts";

/** Agent pairings, their challenges and spend counters. */
export const delegationMigrations: Record<string, AgxMigration> = {
  "0910_delegation": {
    async up(db) {
      await db.schema
        .createTable("delegation_challenges")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("machine_id", "text", (c) => c.notNull())
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("pairing_id", "text")
        .addColumn("agent_address", "text", (c) => c.notNull())
        .addColumn("agent_did", "text", (c) => c.notNull())
        .addColumn("agent_provider", "text", (c) => c.notNull())
        .addColumn("agent_role", "text", (c) => c.notNull())
        .addColumn("requester_id", "text")
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        .addColumn("consumed_at_ms", "bigint")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("delegation_challenges_expiry")
        .on("delegation_challenges")
        .columns(["expires_at_ms"])
        .execute();
      await db.schema
        .createTable("delegation_pairings")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("machine_id", "text", (c) => c.notNull())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("agent_address", "text", (c) => c.notNull())
        .addColumn("agent_did", "text", (c) => c.notNull())
        .addColumn("agent_provider", "text", (c) => c.notNull())
        .addColumn("agent_role", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("verification", "text", (c) => c.notNull())
        .addColumn("policy", "text", (c) => c.notNull())
        .addColumn("policy_hash", "text", (c) => c.notNull())
        .addColumn("session", "text")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .execute();
      // One live pairing per (machine, agent); a revoked one frees the agent to pair again.
      await sql`create unique index delegation_pairings_agent_live
        on delegation_pairings (machine_id, agent_address) where status <> 'revoked'`.execute(db);
      await db.schema
        .createIndex("delegation_pairings_owner")
        .on("delegation_pairings")
        .columns(["owner_id", "machine_id"])
        .execute();
      await db.schema
        .createTable("delegation_spend")
        .addColumn("pairing_id", "text", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("day_key", "text", (c) => c.notNull())
        .addColumn("day_spent_minor", "bigint", (c) => c.notNull())
        .addColumn("month_key", "text", (c) => c.notNull())
        .addColumn("month_spent_minor", "bigint", (c) => c.notNull())
        .addColumn("total_spent_minor", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("delegation_spend_pk", ["pairing_id", "asset"])
        .execute();
      await db.schema
        .createTable("delegation_spend_entries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("pairing_id", "text", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("amount_minor", "bigint", (c) => c.notNull())
        .addColumn("day_key", "text", (c) => c.notNull())
        .addColumn("month_key", "text", (c) => c.notNull())
        .addColumn("reference", "text")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("delegation_spend_entries_pairing")
        .on("delegation_spend_entries")
        .columns(["pairing_id", "id"])
        .execute();
    },
  },
};
