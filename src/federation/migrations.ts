import type { AgxMigration } from "../db/migrate.ts";

/** Peers (with this hub's sealed credentials at each), their indexed tools, routed calls. */
export const federationMigrations: Record<string, AgxMigration> = {
  "1400_federation": {
    async up(db) {
      await db.schema
        .createTable("federation_peers")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("hub_url", "text", (c) => c.notNull().unique())
        .addColumn("well_known_url", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("announced_public_key", "text", (c) => c.notNull())
        .addColumn("signer_public_key", "text")
        .addColumn("capabilities_count", "integer", (c) => c.notNull())
        .addColumn("manifest_generated_at", "text")
        .addColumn("failures", "integer", (c) => c.notNull())
        .addColumn("last_error", "text")
        .addColumn("last_crawl_at_ms", "bigint")
        .addColumn("last_ok_at_ms", "bigint")
        .addColumn("activated_at_ms", "bigint")
        .addColumn("next_crawl_at_ms", "bigint", (c) => c.notNull())
        .addColumn("lease_token", "text")
        .addColumn("lease_until_ms", "bigint")
        .addColumn("route_kind", "text")
        .addColumn("route_secret", "text")
        .addColumn("route_asset", "text", (c) => c.notNull())
        .addColumn("bond_usd_micros", "bigint", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("federation_peers_due")
        .on("federation_peers")
        .columns(["state", "next_crawl_at_ms"])
        .execute();
      await db.schema
        .createTable("federation_tools")
        .addColumn("peer_id", "text", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("capability_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("price_usd_micros", "bigint", (c) => c.notNull())
        .addColumn("p50_latency_ms", "integer")
        .addColumn("search_text", "text", (c) => c.notNull())
        .addColumn("tool_json", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("federation_tools_pk", ["peer_id", "product_id", "capability_id"])
        .execute();
      await db.schema
        .createTable("federation_calls")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("caller_id", "text", (c) => c.notNull())
        .addColumn("peer_id", "text", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("capability_id", "text", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("price_minor", "bigint", (c) => c.notNull())
        .addColumn("fee_bps", "integer", (c) => c.notNull())
        .addColumn("fee_minor", "bigint", (c) => c.notNull())
        .addColumn("routed_minor", "bigint", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("hold_id", "text", (c) => c.notNull())
        .addColumn("provider_status", "integer")
        .addColumn("provider_receipt", "text")
        .addColumn("error", "text")
        .addColumn("latency_ms", "integer")
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("finished_at_ms", "bigint")
        .execute();
      await db.schema
        .createIndex("federation_calls_peer")
        .on("federation_calls")
        .columns(["peer_id", "created_at_ms"])
        .execute();
      await db.schema
        .createIndex("federation_calls_state")
        .on("federation_calls")
        .columns(["state", "created_at_ms"])
        .execute();
    },
  },
};
