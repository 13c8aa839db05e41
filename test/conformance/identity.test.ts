import { expect, it } from "vitest";
import { createIdentity, looksLikeApiKey } from "../../src/identity/index.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { stringifyWithBigints } from "../../src/kernel/json.ts";
import { limits } from "../../src/kernel/limits.ts";
import { isProblem } from "../../src/kernel/problem.ts";
import { createRateLimiter } from "../../src/ratelimit/index.ts";
import { describeStores } from "../support/stores.ts";

describeStores("identity and rate limits", (store) => {
  const clock = manualClock();
  const identity = createIdentity({ clock });
  const handle = () => `h${Math.random().toString(36).slice(2, 12)}`;

  it("issues a key whose secret authenticates, is stored only as a hash, and dies on revoke", async () => {
    const p = await store.db.transaction((tx) =>
      identity.createPrincipal(tx, { kind: "agent", handle: handle(), display_name: "A" }),
    );
    const { key, secret } = await store.db.transaction((tx) =>
      identity.issueKey(tx, p.id, { scope: "read" }),
    );
    expect(looksLikeApiKey(secret)).toBe(true);
    expect(secret.startsWith(key.prefix)).toBe(true);
    const rows = await store.db.kysely
      .selectFrom("identity_api_keys")
      .selectAll()
      .where("id", "=", key.id)
      .execute();
    expect(stringifyWithBigints(rows)).not.toContain(secret);
    expect((await identity.authenticate(store.db.kysely, secret))?.principal.id).toBe(p.id);
    await store.db.transaction((tx) => identity.revokeKey(tx, p.id, key.id));
    expect(await identity.authenticate(store.db.kysely, secret)).toBeNull();
  });

  async function agentWithKey() {
    const p = await store.db.transaction((tx) =>
      identity.createPrincipal(tx, { kind: "agent", handle: handle(), display_name: "A" }),
    );
    const issued = await store.db.transaction((tx) =>
      identity.issueKey(tx, p.id, { scope: "write" }),
    );
    return { principal: p, ...issued };
  }
  const lastUsed = async (key_id: string) =>
    (
      await store.db.kysely
        .selectFrom("identity_api_keys")
        .select("last_used_at_ms")
        .where("id", "=", key_id)
        .executeTakeFirstOrThrow()
    ).last_used_at_ms;

  it("refuses a key the moment this process revokes it, even one it has just verified", async () => {
    const { principal, key, secret } = await agentWithKey();
    expect((await identity.authenticate(store.db.kysely, secret))?.key.id).toBe(key.id);
    expect((await identity.authenticate(store.db.kysely, secret))?.principal.id).toBe(principal.id);
    await store.db.transaction((tx) => identity.revokeKey(tx, principal.id, key.id));
    expect(await identity.authenticate(store.db.kysely, secret)).toBeNull();
  });

  it("refuses a key revoked by another process once the key cache TTL has passed", async () => {
    const other = createIdentity({ clock });
    const { principal, key, secret } = await agentWithKey();
    expect(await identity.authenticate(store.db.kysely, secret)).not.toBeNull();
    await store.db.transaction((tx) => other.revokeKey(tx, principal.id, key.id));
    expect(await other.authenticate(store.db.kysely, secret)).toBeNull();
    clock.advance(limits.api_key_cache_ttl_ms);
    expect(await identity.authenticate(store.db.kysely, secret)).toBeNull();
  });

  it("records a key's use when first used, then at most once per touch interval", async () => {
    const { key, secret } = await agentWithKey();
    expect(await lastUsed(key.id)).toBeNull();
    const first_ms = clock.now_ms();
    await identity.authenticate(store.db.kysely, secret);
    expect(Number(await lastUsed(key.id))).toBe(first_ms);
    clock.advance(limits.api_key_touch_interval_ms - 1);
    await identity.authenticate(store.db.kysely, secret);
    expect(Number(await lastUsed(key.id))).toBe(first_ms);
    clock.advance(1);
    await identity.authenticate(store.db.kysely, secret);
    expect(Number(await lastUsed(key.id))).toBe(clock.now_ms());
  });

  it("hands every request its own copy of a remembered caller", async () => {
    const { secret } = await agentWithKey();
    const first = await identity.authenticate(store.db.kysely, secret);
    if (!first) throw new Error("the key authenticates");
    first.key.scope = "admin";
    first.principal.status = "suspended";
    const again = await identity.authenticate(store.db.kysely, secret);
    expect(again?.key.scope).toBe("write");
    expect(again?.principal.status).toBe("active");
  });

  it("gives a contested handle to exactly one of 10 concurrent registrations", async () => {
    const h = handle();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        store.db
          .transaction((tx) =>
            identity.createPrincipal(tx, { kind: "agent", handle: h, display_name: h }),
          )
          .then(
            () => "ok",
            (e) => (isProblem(e) ? e.code : String(e)),
          ),
      ),
    );
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "IDENTITY_HANDLE_TAKEN")).toHaveLength(9);
  });

  it("creates the operator once and prints its key only on first start", async () => {
    const first = await store.db.transaction((tx) => identity.ensureOperator(tx, {}));
    const second = await store.db.transaction((tx) => identity.ensureOperator(tx, {}));
    expect(first.new_secret).not.toBeNull();
    expect(second.new_secret).toBeNull();
    expect(second.principal.id).toBe(first.principal.id);
    const caller = await identity.authenticate(store.db.kysely, first.new_secret as string);
    expect(caller?.key.scope).toBe("admin");
  });

  it("counts hits per window across concurrent callers and opens again in the next window", async () => {
    const limiter = createRateLimiter({ clock });
    const bucket = `b:${Math.random()}`;
    const decisions = await Promise.all(
      Array.from({ length: 25 }, () =>
        limiter.hit(store.db.kysely, { bucket, window_ms: 3_600_000, max: 20 }),
      ),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    clock.advance(3_600_000);
    expect(
      (await limiter.hit(store.db.kysely, { bucket, window_ms: 3_600_000, max: 20 })).allowed,
    ).toBe(true);
  });
});
