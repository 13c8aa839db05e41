import { expect, it } from "vitest";
import { createIdentity, looksLikeApiKey } from "../../src/identity/index.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { stringifyWithBigints } from "../../src/kernel/json.ts";
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
