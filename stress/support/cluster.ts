import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";

/**
 * Real agx processes for the stress harnesses: `node bin/agx.js serve` on a SQLite file or a
 * PostgreSQL schema of its own, killed with SIGKILL and restarted on the same data.
 */

const bin = new URL("../../bin/agx.js", import.meta.url).pathname;
export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

/** Where a run's data lives: a temp SQLite directory or a fresh PostgreSQL schema. */
export type Store =
  | { kind: "sqlite"; dir: string }
  | { kind: "postgres"; url: string; schema: string };

/** A store of one kind, created empty; `drop()` removes it. */
export async function createStore(
  kind: "sqlite" | "postgres",
  pgUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_PG_URL,
): Promise<{ store: Store; drop(): Promise<void> }> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "agx-stress-"));
    return {
      store: { kind, dir },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `agx_stress_${process.pid}_${randomBytes(4).toString("hex")}`;
  await pgAdmin(pgUrl, `create schema ${schema}`);
  return {
    store: { kind, url: pgUrl, schema },
    drop: () => pgAdmin(pgUrl, `drop schema if exists ${schema} cascade`),
  };
}

async function pgAdmin(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** True when PostgreSQL answers at `url` within three seconds. */
export async function pgReachable(
  url = process.env.TEST_DATABASE_URL ?? DEFAULT_PG_URL,
): Promise<boolean> {
  try {
    await pgAdmin(url, "select 1");
    return true;
  } catch {
    return false;
  }
}

/** Read-only SQL over a store, for the end-of-run checks (rows, not the API's view of them). */
export interface StoreReader {
  rows<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Opens a reader; SQL uses `?` placeholders on both kinds. */
export async function openReader(store: Store): Promise<StoreReader> {
  if (store.kind === "sqlite") {
    const db = new Sqlite(join(store.dir, "agx.db"), { readonly: true });
    db.defaultSafeIntegers(true);
    return {
      rows: async <T>(text: string, params: unknown[] = []) =>
        db.prepare(text).all(...params) as T[],
      close: async () => {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: store.url });
  await client.connect();
  await client.query(`set search_path to ${store.schema}`);
  return {
    rows: async <T>(text: string, params: unknown[] = []) => {
      let i = 0;
      const numbered = text.replace(/\?/g, () => `$${++i}`);
      return (await client.query(numbered, params)).rows as T[];
    },
    close: () => client.end(),
  };
}

/** A free loopback port (bound then released), so a restarted node keeps its URL. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A fresh operator key, so every node and every restart shares one admin. */
export function newAdminKey(): string {
  return `sk_agx_${randomBytes(32).toString("base64url")}`;
}

export interface NodeOptions {
  store: Store;
  admin_key: string;
  /** Extra environment (timeouts, knobs); overrides the defaults below. */
  env?: Record<string, string>;
  /** Milliseconds to wait for "listening"; a loaded machine starts slowly. */
  start_timeout_ms?: number;
}

const SECRET = "stress-secret-key-0123456789abcdef-0123456789";

/** One agx server process that can be SIGKILLed and restarted on the same data and port. */
export class HubNode {
  #child: ChildProcess | null = null;
  #log = "";
  #port = 0;
  starts = 0;
  constructor(readonly options: NodeOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }
  get running(): boolean {
    return this.#child !== null;
  }
  /** The last lines the process wrote (for failure messages). */
  tail(lines = 30): string {
    return this.#log.split("\n").slice(-lines).join("\n");
  }

  /** Starts the process and resolves once it listens. */
  async start(): Promise<string> {
    if (this.#child) throw new Error("node already running");
    if (this.#port === 0) this.#port = await freePort();
    const { store } = this.options;
    const storeEnv: Record<string, string> =
      store.kind === "sqlite"
        ? { AGX_DATA_DIR: store.dir }
        : { DATABASE_URL: store.url, AGX_DB_SCHEMA: store.schema, AGX_DATA_DIR: tmpdir() };
    const child = spawn(process.execPath, [bin, "serve"], {
      env: {
        PATH: process.env.PATH ?? "",
        AGX_ENV: "test",
        AGX_PORT: String(this.#port),
        AGX_LOG_LEVEL: "warn",
        AGX_ADMIN_KEY: this.options.admin_key,
        AGX_SECRET_KEY: SECRET,
        AGX_PAIRING_TOKEN_SECRET: SECRET,
        AGX_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
        // The worlds' sellers resell a built-in skill.
        AGX_BUILTIN_RESALE: "true",
        AGX_EXECUTION_TIMEOUT_MS: "2000",
        ...storeEnv,
        ...this.options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    this.starts++;
    const append = (d: Buffer) => {
      this.#log = (this.#log + String(d)).slice(-20_000);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    const mark = this.#log.length;
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`agx did not start: ${this.tail()}`));
      }, this.options.start_timeout_ms ?? 60_000);
      const timer = setInterval(() => {
        if (/listening on http/.test(this.#log.slice(Math.max(0, mark - 100)))) {
          clearInterval(timer);
          clearTimeout(timeout);
          resolve(this.url);
        }
      }, 20);
      child.once("exit", (code, signal) => {
        if (this.#child === child) this.#child = null;
        clearInterval(timer);
        clearTimeout(timeout);
        reject(new Error(`agx exited (${code ?? signal}): ${this.tail()}`));
      });
    });
  }

  /** SIGKILL: no shutdown hooks, no flush, whatever was in flight is cut. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
    this.#child = null;
  }

  /** Graceful stop (SIGTERM), falling back to SIGKILL after ten seconds. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    this.#child = null;
  }
}
