import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { randomToken } from "../kernel/ids.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { limits } from "../kernel/limits.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { firstDifference } from "./diff.ts";
import type { BeginResult, IdempotencyScope, StoredResponse } from "./model.ts";
import * as store from "./store.ts";

export interface IdempotencyDeps {
  clock: Clock;
  retention_ms?: number;
  lock_ms?: number;
}

/** True when `key` is an acceptable Idempotency-Key value (printable ASCII, bounded). */
export function isValidIdempotencyKey(key: string): boolean {
  return (
    key.length >= 1 && key.length <= limits.idempotency_key_chars_max && /^[\x21-\x7e]+$/.test(key)
  );
}

function scopeHash(scope: IdempotencyScope): string {
  return sha256Hex(canonicalJson([scope.owner, scope.method, scope.route, scope.key]));
}

/** Idempotency-Key bookkeeping; see model.ts for the semantics. */
export function createIdempotency(deps: IdempotencyDeps) {
  const { clock } = deps;
  const retention_ms = deps.retention_ms ?? limits.idempotency_retention_ms;
  const lock_ms = deps.lock_ms ?? limits.idempotency_lock_ms;

  /**
   * Reserves the scope for this request, or answers from what is stored.
   * `request` is what makes two requests "the same": path params, query and body.
   */
  async function begin(
    ex: Executor,
    scope: IdempotencyScope,
    request: unknown,
  ): Promise<BeginResult> {
    const hash = scopeHash(scope);
    const request_json = canonicalJson(request ?? null);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now_ms = clock.now_ms();
      const token = randomToken(16);
      const reserved = await store.reserve(ex, {
        scope_sha256: hash,
        owner: scope.owner,
        method: scope.method,
        route: scope.route,
        idem_key: scope.key,
        request_json,
        state: "in_progress",
        token,
        response_status: null,
        response_json: null,
        locked_until_ms: now_ms + lock_ms,
        created_at_ms: now_ms,
        expires_at_ms: now_ms + retention_ms,
      });
      if (reserved) return { kind: "new", token };
      const row = await store.get(ex, hash);
      if (!row) continue;
      if (row.expires_at_ms <= now_ms) {
        await store.removeExpired(ex, hash, now_ms);
        continue;
      }
      if (row.request_json !== request_json) {
        const pointer = firstDifference(JSON.parse(row.request_json), JSON.parse(request_json));
        throw new Problem(
          kernelProblems.IDEMPOTENCY_KEY_REUSED,
          `this Idempotency-Key was first used with a different request (differs at ${pointer})`,
          { extensions: { pointer } },
        );
      }
      if (row.state === "done" && row.response_status !== null && row.response_json !== null) {
        const stored = JSON.parse(row.response_json) as Omit<StoredResponse, "status">;
        return { kind: "replay", response: { status: row.response_status, ...stored } };
      }
      if (row.locked_until_ms > now_ms) {
        const retry_s = Math.max(1, Math.ceil((row.locked_until_ms - now_ms) / 1000));
        throw new Problem(
          kernelProblems.IDEMPOTENCY_KEY_IN_USE,
          "a request with this Idempotency-Key is still in flight; retry later",
          { headers: { "retry-after": String(retry_s) } },
        );
      }
      if (await store.takeOver(ex, hash, row.token, token, now_ms + lock_ms)) {
        return { kind: "new", token };
      }
    }
    throw new Problem(kernelProblems.IDEMPOTENCY_KEY_IN_USE, "the Idempotency-Key is contended");
  }

  /** Stores the response. Call inside the transaction that made the change when there is one. */
  async function complete(
    ex: Executor,
    scope: IdempotencyScope,
    token: string,
    response: StoredResponse,
  ): Promise<boolean> {
    const json = JSON.stringify({ body: response.body, headers: response.headers });
    return store.complete(ex, scopeHash(scope), token, response.status, json);
  }

  /** Forgets a reservation so the client may retry (the request failed without effect). */
  async function release(ex: Executor, scope: IdempotencyScope, token: string): Promise<void> {
    await store.release(ex, scopeHash(scope), token);
  }

  /** Deletes expired records; returns how many. */
  async function purgeExpired(ex: Executor, limit = 500): Promise<number> {
    return store.purge(ex, clock.now_ms(), limit);
  }

  return { begin, complete, release, purgeExpired };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
