import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import type { Database, DialectName } from "./db.ts";

/** One forward-only schema step. `up` receives the dialect for the few places SQL differs. */
export interface AgxMigration {
  // biome-ignore lint/suspicious/noExplicitAny: migrations create tables, so they are untyped.
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
}

/** Applies every pending migration in name order; concurrent processes take a lock first. */
export async function migrateToLatest(
  db: Database,
  migrations: Record<string, AgxMigration>,
): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () => {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(migrations)) {
        out[name] = { up: (k) => m.up(k, db.dialect) };
      }
      return out;
    },
  };
  const migrator = new Migrator({
    db: db.kysely,
    provider,
    migrationTableName: "agx_migrations",
    migrationLockTableName: "agx_migrations_lock",
    // Without it Kysely looks for its tables in any schema and may find another run's.
    ...(db.schema ? { migrationTableSchema: db.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
