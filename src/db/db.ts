import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import {
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Transaction,
} from "kysely";
import pg from "pg";
import { limits } from "../kernel/limits.ts";
import { checkpointInBackground } from "./checkpoint.ts";

/** Which engine a database runs on. */
export type DialectName = "sqlite" | "postgres";

/**
 * Anything that runs queries: the database itself or an open transaction. Module stores narrow it
 * to their own tables with `tablesOf`, so a module never types another module's table names.
 */
// biome-ignore lint/suspicious/noExplicitAny: the table map is narrowed per module.
export type Executor = Kysely<any>;
// biome-ignore lint/suspicious/noExplicitAny: see Executor.
export type Tx = Transaction<any>;

/** A module store's view of the executor, typed to that module's tables. */
export function tablesOf<T>(executor: Executor): Kysely<T> {
  return executor as unknown as Kysely<T>;
}

/**
 * Whether an executor runs on PostgreSQL, for the few statements a store writes per dialect
 * where it was handed only the executor.
 */
export function onPostgres(ex: Executor): boolean {
  return ex.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * `column in (values…)`; on PostgreSQL `column = any($1)` with the values as one text array: a
 * hundred separate parameters cost more to build and send than such a statement takes to run.
 */
export function columnIn(ex: Executor, column: string, values: readonly string[]) {
  return onPostgres(ex)
    ? sql<boolean>`${sql.ref(column)} = any(${[...values]}::text[])`
    : sql<boolean>`${sql.ref(column)} in (${sql.join([...values])})`;
}

/** An open database: the query builder, its dialect and a transaction helper. */
export interface Database {
  readonly kysely: Executor;
  readonly dialect: DialectName;
  /** Where it lives, safe to log (no password). */
  readonly describe: string;
  /** The PostgreSQL schema the connection works in, when not the default. */
  readonly schema?: string;
  /** Runs `work` in one transaction (READ COMMITTED on PostgreSQL; serialized on SQLite). */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Round-trips a trivial query; throws when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Where to open the database. */
export type DatabaseTarget =
  | { kind: "sqlite"; file: string }
  | { kind: "postgres"; url: string; schema?: string; pool_size_max?: number };

/** Opens SQLite (WAL, safe integers) or a PostgreSQL pool (int8 as bigint). */
export function openDatabase(target: DatabaseTarget): Database {
  return target.kind === "sqlite" ? openSqlite(target.file) : openPostgres(target);
}

/** Callbacks waiting for their transaction to commit, by transaction. */
const commitHooks = new WeakMap<object, (() => void)[]>();

/**
 * Runs `fn` once `ex` has committed: at once when `ex` is not a transaction, never when it rolls
 * back (or was not opened by `Database.transaction`). Caches of immutable rows use it, so a row
 * written by a transaction that later rolls back is never remembered.
 */
export function afterCommit(ex: Executor, fn: () => void): void {
  if (!ex.isTransaction) fn();
  else commitHooks.get(ex)?.push(fn);
}

/** Writes waiting for the end of their transaction's work, by transaction. */
const flushHooks = new WeakMap<object, (() => Promise<void>)[]>();

/**
 * Runs `flush` inside `tx` after its work returned, just before it commits (not when the work
 * throws). Rows a transaction only appends (audit events) are written there in one statement
 * instead of one each. False, and nothing registered, when `tx` was not opened by
 * `Database.transaction`: the caller then writes at once.
 */
export function beforeCommit(tx: Executor, flush: () => Promise<void>): boolean {
  const hooks = tx.isTransaction ? flushHooks.get(tx) : undefined;
  if (!hooks) return false;
  hooks.push(flush);
  return true;
}

/** One transaction attempt: its work, its pre-commit flushes, commit, then its commit hooks. */
async function withCommitHooks<T>(
  open: (work: (tx: Tx) => Promise<T>) => Promise<T>,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  const hooks: (() => void)[] = [];
  const out = await open(async (tx) => {
    const flushes: (() => Promise<void>)[] = [];
    commitHooks.set(tx, hooks);
    flushHooks.set(tx, flushes);
    const value = await work(tx);
    // A flush may queue another; run until none is left, then refuse late ones.
    for (let flush = flushes.shift(); flush; flush = flushes.shift()) await flush();
    flushHooks.delete(tx);
    return value;
  });
  for (const hook of hooks) hook();
  return out;
}

function openSqlite(file: string): Database {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const raw = new BetterSqlite3(file);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  raw.pragma("busy_timeout = 5000");
  raw.pragma("foreign_keys = ON");
  raw.pragma(`mmap_size = ${limits.sqlite_mmap_bytes}`);
  // A worker checkpoints the WAL (see checkpoint.ts); this connection's own automatic
  // checkpoint stays as the bound on the WAL, should the worker fall behind or be gone.
  raw.pragma(`wal_autocheckpoint = ${limits.sqlite_wal_autocheckpoint_pages}`);
  const release = file === ":memory:" ? async () => {} : checkpointInBackground(file);
  // Money is int64: read every integer as bigint so nothing above 2^53 is silently rounded.
  raw.defaultSafeIntegers(true);
  const kysely = new Kysely({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  return {
    kysely,
    dialect: "sqlite",
    describe: `sqlite:${file}`,
    transaction: (work) => withCommitHooks((w) => kysely.transaction().execute(w), work),
    ping: async () => {
      await sql`select 1`.execute(kysely);
    },
    close: async () => {
      await release();
      await kysely.destroy();
    },
  };
}

/**
 * Kysely prepares every query afresh; compiling the SQL is a large share of a small query's cost
 * on SQLite. Statements are reusable, so keep the most recent ones by their SQL text (SQLite
 * re-prepares a statement by itself when the schema changes under it).
 */
function withStatementCache(raw: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      cache.clear();
      raw.close();
    },
    prepare(text: string) {
      const hit = cache.get(text);
      if (hit) {
        // Most recently used last, so eviction takes the oldest.
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const statement = raw.prepare(text);
      if (cache.size >= limits.sqlite_statement_cache_max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function openPostgres(target: { url: string; schema?: string; pool_size_max?: number }): Database {
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.pool_size_max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...(target.schema ? { options: `-c search_path=${quoteIdent(target.schema)}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        // int8 and integral numeric (sums of int8) become bigint, never a lossy number.
        if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => BigInt(v);
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const kysely = new Kysely({ dialect: new PostgresDialect({ pool }) });
  const url = new URL(target.url);
  return {
    kysely,
    dialect: "postgres",
    describe: `postgres://${url.host}${url.pathname}${target.schema ? `?schema=${target.schema}` : ""}`,
    ...(target.schema ? { schema: target.schema } : {}),
    transaction: (work) =>
      withRetry(() =>
        withCommitHooks(
          (w) => kysely.transaction().setIsolationLevel("read committed").execute(w),
          work,
        ),
      ),
    ping: async () => {
      await sql`select 1`.execute(kysely);
    },
    close: () => kysely.destroy(),
  };
}

const RETRYABLE = new Set(["40P01", "40001"]);
const TRANSACTION_ATTEMPTS_MAX = 3;

/**
 * Re-runs a transaction PostgreSQL aborted as a deadlock victim or serialization failure. The
 * work closure starts from scratch each time and nothing was committed, so a retry is safe.
 */
async function withRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= TRANSACTION_ATTEMPTS_MAX || typeof code !== "string" || !RETRYABLE.has(code)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10));
    }
  }
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid schema name ${name}`);
  return name;
}

/** Reads an integer column that may come back as bigint (SQLite safe integers, int8) as a number. */
export function num(value: number | bigint | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : Number(value);
}

/** Like `num` but keeps null. */
export function numOrNull(value: number | bigint | string | null | undefined): number | null {
  return value === null || value === undefined ? null : num(value);
}

/** Reads a money column as bigint whatever the driver returned. */
export function big(value: number | bigint | string | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  return typeof value === "bigint" ? value : BigInt(value);
}
