import type { AgxMigration } from "../db/migrate.ts";

/** The DPoP replay cache: one row per accepted proof, kept until the proof is too old anyway. */
export const dpopMigrations: Record<string, AgxMigration> = {
  "0140_dpop": {
    async up(db) {
      await db.schema
        .createTable("dpop_jtis")
        .addColumn("jkt", "text", (c) => c.notNull())
        .addColumn("jti", "text", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        // The unique key is what makes "accept a proof once" hold across processes.
        .addPrimaryKeyConstraint("dpop_jtis_pk", ["jkt", "jti"])
        .execute();
      await db.schema
        .createIndex("dpop_jtis_expiry")
        .on("dpop_jtis")
        .columns(["expires_at_ms"])
        .execute();
    },
  },
};
