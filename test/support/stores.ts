import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { type Database, openDatabase } from "../../src/db/db.ts";
import { type AgxMigration, migrateToLatest } from "../../src/db/migrate.ts";
import { allMigrations } from "../../src/main.ts";

export type StoreKind = "sqlite" | "postgres";

/** A migrated database of one kind, opened for a suite and removed after it. */
export class TestStore {
  #db: Database | null = null;
  #cleanup: (() => Promise<void>) | null = null;
  constructor(readonly kind: StoreKind) {}

  get db(): Database {
    if (!this.#db) throw new Error("the store is opened in beforeAll");
    return this.#db;
  }

  async open(
    options: { pool_size_max?: number; migrations?: Record<string, AgxMigration> } = {},
  ): Promise<Database> {
    if (this.kind === "sqlite") {
      const dir = mkdtempSync(join(tmpdir(), "agx-test-"));
      this.#db = openDatabase({ kind: "sqlite", file: join(dir, "agx.db") });
      this.#cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const url = inject("pgUrl");
      if (!url) throw new Error("PostgreSQL suites run only when pgUrl is provided");
      const schema = `agx_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      await adminQuery(url, `create schema ${schema}`);
      this.#db = openDatabase({
        kind: "postgres",
        url,
        schema,
        pool_size_max: options.pool_size_max ?? 20,
      });
      this.#cleanup = () => adminQuery(url, `drop schema ${schema} cascade`);
    }
    await migrateToLatest(this.#db, { ...allMigrations, ...options.migrations });
    return this.#db;
  }

  async close(): Promise<void> {
    await this.#db?.close();
    await this.#cleanup?.();
    this.#db = null;
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** The store kinds this run covers: SQLite always, PostgreSQL when reachable. */
export function storeKinds(): { kind: StoreKind; available: boolean }[] {
  return [
    { kind: "sqlite", available: true },
    { kind: "postgres", available: inject("pgUrl") !== null },
  ];
}

/**
 * The store conformance harness: `body` is declared once and runs against every database kind,
 * each in its own fresh database (a temp SQLite file or a PostgreSQL schema of its own).
 */
export function describeStores(
  title: string,
  body: (store: TestStore) => void,
  options: { migrations?: Record<string, AgxMigration> } = {},
): void {
  for (const { kind, available } of storeKinds()) {
    const run = available ? describe : describe.skip;
    run(`${title} [${kind}]`, () => {
      const store = new TestStore(kind);
      beforeAll(() => store.open(options));
      afterAll(() => store.close());
      body(store);
    });
  }
}
