import { sql } from "kysely";
import { type Executor, num, tablesOf } from "../db/db.ts";
import type { AgxMigration } from "../db/migrate.ts";
import type { Clock } from "../kernel/clock.ts";

/**
 * Fixed-window rate limits counted in the database, so every hub process sharing one PostgreSQL
 * sees the same counts. One upsert per hit: no read-then-write race.
 */

type Int = number | bigint;
interface RateTables {
  ratelimit_windows: { bucket: string; window_start_ms: Int; hits: Int };
}
const q = (ex: Executor) => tablesOf<RateTables>(ex);

export const ratelimitMigrations: Record<string, AgxMigration> = {
  "0130_ratelimit": {
    async up(db) {
      await db.schema
        .createTable("ratelimit_windows")
        .addColumn("bucket", "text", (c) => c.notNull())
        .addColumn("window_start_ms", "bigint", (c) => c.notNull())
        .addColumn("hits", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("ratelimit_windows_pk", ["bucket", "window_start_ms"])
        .execute();
    },
  },
};

export interface RateDecision {
  allowed: boolean;
  hits: number;
  /** When the current window ends; the Retry-After of a refusal. */
  retry_after_ms: number;
}

/** Counts hits per bucket and window. */
export function createRateLimiter(deps: { clock: Clock }) {
  async function hit(
    ex: Executor,
    spec: { bucket: string; window_ms: number; max: number },
  ): Promise<RateDecision> {
    const now_ms = deps.clock.now_ms();
    const window_start_ms = now_ms - (now_ms % spec.window_ms);
    const row = await q(ex)
      .insertInto("ratelimit_windows")
      .values({ bucket: spec.bucket, window_start_ms, hits: 1 })
      .onConflict((oc) =>
        oc
          .columns(["bucket", "window_start_ms"])
          .doUpdateSet({ hits: sql<Int>`ratelimit_windows.hits + 1` }),
      )
      .returning("hits")
      .executeTakeFirstOrThrow();
    const hits = num(row.hits);
    return {
      allowed: hits <= spec.max,
      hits,
      retry_after_ms: window_start_ms + spec.window_ms - now_ms,
    };
  }

  /** Drops windows that ended before `older_than_ms`. */
  async function purge(ex: Executor, older_than_ms: number): Promise<number> {
    const r = await q(ex)
      .deleteFrom("ratelimit_windows")
      .where("window_start_ms", "<", older_than_ms)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  return { hit, purge };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
