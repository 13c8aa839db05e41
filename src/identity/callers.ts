import { assert } from "../kernel/assert.ts";
import type { Caller } from "./model.ts";

/**
 * Verified callers by secret hash, trusted for `ttl_ms` without reading the key again, at most
 * `entries_max` of them (the oldest goes first). Only live keys of active principals are kept;
 * unknown secrets are never remembered, so random keys cannot push good entries out.
 *
 * Concurrency: a read of a key that started before a revocation must not put the key back in
 * after the revocation forgot it. Every `forgetKey` starts a new generation, and `remember`
 * drops what was read in an older one.
 */
export function createCallerCache(options: { entries_max: number; ttl_ms: number }) {
  assert(options.entries_max > 0 && options.ttl_ms >= 0, "caller cache bounds are positive");
  const entries = new Map<string, { caller: Caller; until_ms: number }>();
  let generation = 0;

  /** The caller of a secret hash while it is still trusted, else null. */
  function get(secret_sha256: string, now_ms: number): Caller | null {
    const entry = entries.get(secret_sha256);
    if (!entry) return null;
    if (entry.until_ms > now_ms) return entry.caller;
    entries.delete(secret_sha256);
    return null;
  }

  /** Remembers a caller read from the database while `read_generation` was current. */
  function remember(
    secret_sha256: string,
    caller: Caller,
    now_ms: number,
    read_generation: number,
  ) {
    if (read_generation !== generation || options.ttl_ms === 0) return;
    entries.delete(secret_sha256);
    if (entries.size >= options.entries_max) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(secret_sha256, { caller, until_ms: now_ms + options.ttl_ms });
  }

  /** Forgets a key (revoked), and anything being read about any key right now. */
  function forgetKey(key_id: string): void {
    generation++;
    for (const [hash, entry] of entries) {
      if (entry.caller.key.id === key_id) entries.delete(hash);
    }
  }

  return { get, remember, forgetKey, generation: () => generation };
}

/**
 * When a key's last-used time is due to be written again: at most once per `interval_ms` per key
 * in this process, for at most `tracked_max` keys (a forgotten key is simply written again).
 */
export function createTouchThrottle(options: { interval_ms: number; tracked_max: number }) {
  const last = new Map<string, number>();

  /** True when `key_id` should be written now; records it as written. */
  function due(key_id: string, now_ms: number): boolean {
    const at = last.get(key_id);
    if (at !== undefined && now_ms - at < options.interval_ms) return false;
    last.delete(key_id);
    if (last.size >= options.tracked_max) {
      const oldest = last.keys().next().value;
      if (oldest !== undefined) last.delete(oldest);
    }
    last.set(key_id, now_ms);
    return true;
  }

  /** Takes back a `due` whose write failed, so the next use tries again. */
  function failed(key_id: string): void {
    last.delete(key_id);
  }

  return { due, failed };
}
