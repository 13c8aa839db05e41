import { describe, expect, it } from "vitest";
import { createCallerCache, createTouchThrottle } from "./callers.ts";
import type { Caller } from "./model.ts";

const caller = (key_id: string): Caller => ({
  principal: {
    id: "prn_1",
    kind: "agent",
    handle: "a",
    display_name: "A",
    webhook_url: null,
    status: "active",
    created_at_ms: 0,
  },
  key: {
    id: key_id,
    principal_id: "prn_1",
    prefix: "sk_agx_abcde",
    scope: "read",
    label: "",
    created_at_ms: 0,
    last_used_at_ms: null,
    revoked_at_ms: null,
    dpop_jkt: null,
  },
});

describe("verified caller cache", () => {
  it("trusts a caller until its TTL ends, then reads it again", () => {
    const cache = createCallerCache({ entries_max: 4, ttl_ms: 1000 });
    cache.remember("h1", caller("key_1"), 0, cache.generation());
    expect(cache.get("h1", 999)?.key.id).toBe("key_1");
    expect(cache.get("h1", 1000)).toBeNull();
  });

  it("does not let a read that raced a revocation put the revoked key back", () => {
    const cache = createCallerCache({ entries_max: 4, ttl_ms: 1000 });
    const before = cache.generation();
    cache.forgetKey("key_1");
    cache.remember("h1", caller("key_1"), 0, before);
    expect(cache.get("h1", 1)).toBeNull();
  });

  it("forgets every entry of a revoked key and keeps the others", () => {
    const cache = createCallerCache({ entries_max: 4, ttl_ms: 1000 });
    cache.remember("h1", caller("key_1"), 0, cache.generation());
    cache.remember("h2", caller("key_2"), 0, cache.generation());
    cache.forgetKey("key_1");
    expect(cache.get("h1", 1)).toBeNull();
    expect(cache.get("h2", 1)?.key.id).toBe("key_2");
  });

  it("holds at most entries_max callers, dropping the oldest", () => {
    const cache = createCallerCache({ entries_max: 2, ttl_ms: 1000 });
    for (const n of [1, 2, 3]) cache.remember(`h${n}`, caller(`key_${n}`), 0, cache.generation());
    expect(cache.get("h1", 1)).toBeNull();
    expect(cache.get("h2", 1)).not.toBeNull();
    expect(cache.get("h3", 1)).not.toBeNull();
  });

  it("remembers nothing with a TTL of zero", () => {
    const cache = createCallerCache({ entries_max: 2, ttl_ms: 0 });
    cache.remember("h1", caller("key_1"), 0, cache.generation());
    expect(cache.get("h1", 0)).toBeNull();
  });
});

describe("last-used touch throttle", () => {
  it("lets a key's use be written once per interval, and again after a failed write", () => {
    const touches = createTouchThrottle({ interval_ms: 100, tracked_max: 10 });
    expect(touches.due("key_1", 0)).toBe(true);
    expect(touches.due("key_1", 99)).toBe(false);
    expect(touches.due("key_2", 99)).toBe(true);
    expect(touches.due("key_1", 100)).toBe(true);
    touches.failed("key_1");
    expect(touches.due("key_1", 101)).toBe(true);
  });

  it("tracks at most tracked_max keys; a forgotten key is written again", () => {
    const touches = createTouchThrottle({ interval_ms: 100, tracked_max: 2 });
    for (const k of ["a", "b", "c"]) expect(touches.due(k, 0)).toBe(true);
    expect(touches.due("a", 1)).toBe(true);
    expect(touches.due("c", 1)).toBe(false);
  });
});
