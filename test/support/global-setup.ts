import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** A reachable PostgreSQL URL, or null when the PostgreSQL suites are skipped. */
    pgUrl: string | null;
  }
}

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/**
 * Finds PostgreSQL for the store conformance suites. On a laptop without one they are skipped
 * with a visible message; in CI (CI=true or AGX_REQUIRE_PG=1) an unreachable server fails the run.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const required = Boolean(process.env.CI) || process.env.AGX_REQUIRE_PG === "1";
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
    project.provide("pgUrl", url);
  } catch (error) {
    if (required) {
      throw new Error(`PostgreSQL is required here but ${url} is unreachable: ${String(error)}`);
    }
    process.stderr.write(
      `\n⚠ PostgreSQL not reachable at ${url}: PostgreSQL store suites are SKIPPED.\n` +
        "  Set TEST_DATABASE_URL or start PostgreSQL to run them.\n\n",
    );
    project.provide("pgUrl", null);
  } finally {
    await client.end().catch(() => {});
  }
}
