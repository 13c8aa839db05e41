import { type Kysely, sql } from "kysely";
import type { AgxMigration } from "../db/migrate.ts";

/** Machines, identity challenges, the operator's controller registry, runtimes, key bindings. */
export const machineMigrations: Record<string, AgxMigration> = {
  "0900_machines": {
    async up(db) {
      await db.schema
        .createTable("machine_machines")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("identity_ref", "text", (c) => c.notNull())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("machine_type", "text", (c) => c.notNull())
        .addColumn("runtime_profile", "text", (c) => c.notNull())
        .addColumn("region", "text", (c) => c.notNull())
        .addColumn("capabilities", "text", (c) => c.notNull())
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("skill_keys", "text", (c) => c.notNull())
        .addColumn("identity_proof", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .execute();
      // One live machine per identity; an archived machine frees its identity for re-registration.
      await sql`create unique index machine_machines_identity_live
        on machine_machines (identity_ref) where status <> 'archived'`.execute(db);
      await db.schema
        .createIndex("machine_machines_owner")
        .on("machine_machines")
        .columns(["owner_id", "id"])
        .execute();
      await db.schema
        .createTable("machine_identity_challenges")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("identity_ref", "text", (c) => c.notNull())
        .addColumn("requester_id", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("controller_addresses", "text", (c) => c.notNull())
        .addColumn("resolution_source", "text", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        .addColumn("consumed_at_ms", "bigint")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("machine_controller_registry")
        .addColumn("identity_ref", "text", (c) => c.notNull())
        .addColumn("address", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("machine_controller_registry_pk", ["identity_ref", "address"])
        .execute();
      await createRuntimeTables(db);
      await createKeyBindingTables(db);
      for (const table of ["machine_identity_challenges", "machine_key_challenges"]) {
        await db.schema
          .createIndex(`${table}_expiry`)
          .on(table)
          .columns(["expires_at_ms"])
          .execute();
      }
    },
  },
};

// biome-ignore lint/suspicious/noExplicitAny: migrations create tables, so they are untyped.
async function createRuntimeTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("machine_runtime_agents")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("machine_id", "text", (c) => c.notNull().references("machine_machines.id"))
    .addColumn("token_sha256", "text", (c) => c.notNull().unique())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("last_seen_at_ms", "bigint")
    .addColumn("revoked_at_ms", "bigint")
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("machine_runtime_endpoints")
    .addColumn("machine_id", "text", (c) => c.notNull().references("machine_machines.id"))
    .addColumn("provider_key", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("protocol", "text", (c) => c.notNull())
    .addColumn("network_scope", "text", (c) => c.notNull())
    .addColumn("capabilities", "text", (c) => c.notNull())
    // AES-256-GCM sealed, bound to (machine, provider key); never returned by the API.
    .addColumn("auth_token_sealed", "text")
    .addColumn("agent_id", "text")
    .addColumn("lease_expires_at_ms", "bigint")
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("machine_runtime_endpoints_pk", ["machine_id", "provider_key"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see createRuntimeTables.
async function createKeyBindingTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("machine_key_challenges")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("principal_id", "text", (c) => c.notNull())
    .addColumn("key_type", "text", (c) => c.notNull())
    .addColumn("did", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
    .addColumn("consumed_at_ms", "bigint")
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("machine_key_bindings")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("principal_id", "text", (c) => c.notNull())
    .addColumn("key_type", "text", (c) => c.notNull())
    .addColumn("did", "text", (c) => c.notNull())
    .addColumn("address", "text")
    .addColumn("challenge_id", "text", (c) => c.notNull())
    .addColumn("verified_at_ms", "bigint", (c) => c.notNull())
    .addColumn("revoked_at_ms", "bigint")
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .execute();
  // A key is bound to one principal at a time; revoking frees it.
  await sql`create unique index machine_key_bindings_did_live
    on machine_key_bindings (did) where revoked_at_ms is null`.execute(db);
  await db.schema
    .createIndex("machine_key_bindings_principal")
    .on("machine_key_bindings")
    .columns(["principal_id"])
    .execute();
}
