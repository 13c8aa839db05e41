import { sql } from "kysely";
import type { AgxMigration } from "../db/migrate.ts";

/** Listings (with full-text search), orders and their audit trail, threads, disputes, reviews. */
export const marketMigrations: Record<string, AgxMigration> = {
  "1000_market": {
    async up(db, dialect) {
      await db.schema
        .createTable("market_listings")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("category", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("price_type", "text", (c) => c.notNull())
        .addColumn("price_min_minor", "bigint", (c) => c.notNull())
        .addColumn("price_max_minor", "bigint", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("deadline_ms", "bigint")
        .addColumn("attachments", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("search_text", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("market_listings_feed")
        .on("market_listings")
        .columns(["kind", "status", "id"])
        .execute();
      await db.schema
        .createIndex("market_listings_owner")
        .on("market_listings")
        .columns(["owner_id", "id"])
        .execute();
      if (dialect === "postgres") {
        await sql`alter table market_listings add column search_tsv tsvector
          generated always as (to_tsvector('simple', search_text)) stored`.execute(db);
        await sql`create index market_listings_fts on market_listings using gin (search_tsv)`.execute(
          db,
        );
      } else {
        await sql`create virtual table market_listings_fts using fts5(
          listing_id unindexed, search_text, tokenize = 'unicode61 remove_diacritics 2')`.execute(
          db,
        );
      }
      await createOrders(db);
      await createThreads(db);
    },
  },
  // The operator's queues list every order in one status, newest first (all=true&status=…).
  "1800_market_orders_status": {
    async up(db) {
      await db.schema
        .createIndex("market_orders_status")
        .on("market_orders")
        .columns(["status", "id"])
        .execute();
    },
  },
};

type Db = Parameters<AgxMigration["up"]>[0];

async function createOrders(db: Db) {
  await db.schema
    .createTable("market_orders")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("listing_id", "text", (c) => c.notNull())
    .addColumn("listing_kind", "text", (c) => c.notNull())
    .addColumn("buyer_id", "text", (c) => c.notNull())
    .addColumn("seller_id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("price_minor", "bigint", (c) => c.notNull())
    .addColumn("asset", "text", (c) => c.notNull())
    .addColumn("delivery_deadline_ms", "bigint")
    .addColumn("terms_hash", "text", (c) => c.notNull())
    .addColumn("buyer_agreed", "text")
    .addColumn("seller_agreed", "text")
    .addColumn("fee_minor", "bigint", (c) => c.notNull())
    .addColumn("hold_id", "text")
    .addColumn("rejections", "integer", (c) => c.notNull())
    .addColumn("round", "integer", (c) => c.notNull())
    .addColumn("proof", "text")
    .addColumn("was_disputed", "integer", (c) => c.notNull())
    // Set while negotiating: one open negotiation per listing and counterparty, enforced in SQL.
    .addColumn("open_key", "text", (c) => c.unique())
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
    .execute();
  for (const [name, columns] of [
    ["market_orders_buyer", ["buyer_id", "id"]],
    ["market_orders_seller", ["seller_id", "id"]],
    ["market_orders_listing", ["listing_id", "status"]],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on("market_orders")
      .columns([...columns])
      .execute();
  }
  await db.schema
    .createTable("market_order_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("order_id", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("from_status", "text", (c) => c.notNull())
    .addColumn("to_status", "text", (c) => c.notNull())
    .addColumn("actor_id", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("request_key", "text")
    .addColumn("at_ms", "bigint", (c) => c.notNull())
    .addUniqueConstraint("market_order_events_request", ["order_id", "actor_id", "request_key"])
    .execute();
  await db.schema
    .createIndex("market_order_events_order")
    .on("market_order_events")
    .columns(["order_id", "id"])
    .execute();
  await db.schema
    .createTable("market_disputes")
    .addColumn("order_id", "text", (c) => c.primaryKey())
    .addColumn("opened_by", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("opened_at_ms", "bigint", (c) => c.notNull())
    .addColumn("evidence_due_at_ms", "bigint")
    .addColumn("decision", "text")
    .execute();
}

async function createThreads(db: Db) {
  await db.schema
    .createTable("market_threads")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("order_id", "text", (c) => c.notNull().unique())
    .addColumn("buyer_id", "text", (c) => c.notNull())
    .addColumn("seller_id", "text", (c) => c.notNull())
    .addColumn("messages", "integer", (c) => c.notNull())
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .addColumn("last_message_at_ms", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("market_messages")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("thread_id", "text", (c) => c.notNull())
    .addColumn("author_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("attachments", "text", (c) => c.notNull())
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("market_messages_thread")
    .on("market_messages")
    .columns(["thread_id", "id"])
    .execute();
  await db.schema
    .createTable("market_reviews")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("order_id", "text", (c) => c.notNull())
    .addColumn("author_id", "text", (c) => c.notNull())
    .addColumn("subject_id", "text", (c) => c.notNull())
    .addColumn("author_role", "text", (c) => c.notNull())
    .addColumn("rating", "integer", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("created_at_ms", "bigint", (c) => c.notNull())
    .addUniqueConstraint("market_reviews_once", ["order_id", "author_id"])
    .execute();
  await db.schema
    .createIndex("market_reviews_subject")
    .on("market_reviews")
    .columns(["subject_id", "id"])
    .execute();
}
