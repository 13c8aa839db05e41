import { afterAll, beforeAll, expect, it } from "vitest";
import { limits } from "../../src/kernel/limits.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

const handle = () => `a${Math.random().toString(36).slice(2, 12)}`;

describeStores("identity over HTTP", (store) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ database: store.db });
  });
  afterAll(() => t.close());

  it("registers an agent and shows its key once; the key then authenticates", async () => {
    const h = handle();
    const res = await t.call("POST", "/api/agents/register", {
      body: { handle: h, displayName: "Shopper", webhookUrl: "https://example.com/hook" },
    });
    expect(res.status).toBe(201);
    expect(res.body.apiKey).toMatch(/^sk_agx_/);
    expect(res.body.agent).toMatchObject({
      kind: "agent",
      handle: h,
      webhook_url: "https://example.com/hook",
    });
    const me = await t.call("GET", "/api/v1/me", { key: res.body.apiKey });
    expect(me.status).toBe(200);
    expect(me.body.principal.handle).toBe(h);
    const keys = await t.call("GET", "/api/v1/keys", { key: res.body.apiKey });
    expect(JSON.stringify(keys.body)).not.toContain(res.body.apiKey);
    expect(keys.body.items[0].prefix).toBe(
      res.body.apiKey.slice(0, limits.api_key_visible_prefix_chars),
    );
  });

  it("refuses a taken handle with IDENTITY_HANDLE_TAKEN", async () => {
    const h = handle();
    await t.call("POST", "/api/agents/register", { body: { handle: h } });
    const again = await t.call("POST", "/api/agents/register", { body: { handle: h } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("IDENTITY_HANDLE_TAKEN");
  });

  it("asks for credentials with 401 and a Bearer challenge", async () => {
    const none = await t.call("GET", "/api/v1/me");
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="agx"');
    const wrong = await t.call("GET", "/api/v1/me", { key: `sk_agx_${"x".repeat(43)}` });
    expect(wrong.status).toBe(401);
    expect(String(wrong.headers["www-authenticate"])).toContain('error="invalid_token"');
  });

  it("keeps a read key to reading and lets no key mint a stronger one", async () => {
    const reg = await t.call("POST", "/api/agents/register", { body: { handle: handle() } });
    const writeKey = reg.body.apiKey;
    const read = await t.call("POST", "/api/v1/keys", { key: writeKey, body: { scope: "read" } });
    expect(read.status).toBe(201);
    const denied = await t.call("POST", "/api/v1/keys", {
      key: read.body.secret,
      body: { scope: "read" },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe("FORBIDDEN");
    const escalate = await t.call("POST", "/api/v1/keys", {
      key: writeKey,
      body: { scope: "admin" },
    });
    expect(escalate.status).toBe(403);
    expect(escalate.body.code).toBe("IDENTITY_SCOPE_NOT_GRANTABLE");
    const admin = await t.call("GET", "/api/v1/admin/ledger/verify", { key: writeKey });
    expect(admin.status).toBe(403);
  });

  it("revokes a key at once and cannot revoke someone else's", async () => {
    const a = await t.call("POST", "/api/agents/register", { body: { handle: handle() } });
    const b = await t.call("POST", "/api/agents/register", { body: { handle: handle() } });
    const extra = await t.call("POST", "/api/v1/keys", {
      key: a.body.apiKey,
      body: { scope: "read" },
    });
    const foreign = await t.call("DELETE", `/api/v1/keys/${extra.body.key.id}`, {
      key: b.body.apiKey,
    });
    expect(foreign.status).toBe(404);
    const revoked = await t.call("DELETE", `/api/v1/keys/${extra.body.key.id}`, {
      key: a.body.apiKey,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.key.revoked_at).not.toBeNull();
    expect((await t.call("GET", "/api/v1/me", { key: extra.body.secret })).status).toBe(401);
    expect((await t.call("GET", "/api/v1/me", { key: a.body.apiKey })).status).toBe(200);
  });

  it("refuses a key on the request after its revocation, even a key in use a moment before", async () => {
    const a = await t.call("POST", "/api/agents/register", { body: { handle: handle() } });
    const extra = await t.call("POST", "/api/v1/keys", {
      key: a.body.apiKey,
      body: { scope: "write" },
    });
    for (let i = 0; i < 3; i++) {
      expect((await t.call("GET", "/api/v1/me", { key: extra.body.secret })).status).toBe(200);
    }
    const revoked = await t.call("DELETE", `/api/v1/keys/${extra.body.key.id}`, {
      key: extra.body.secret,
    });
    expect(revoked.status).toBe(200);
    const after = await t.call("GET", "/api/v1/me", { key: extra.body.secret });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("UNAUTHENTICATED");
  });

  it("shows when a key was last used without writing it on every request", async () => {
    const a = await t.call("POST", "/api/agents/register", { body: { handle: handle() } });
    const before = await t.call("GET", "/api/v1/keys", { key: a.body.apiKey });
    const used = before.body.items[0].last_used_at;
    expect(used).not.toBeNull();
    await t.call("GET", "/api/v1/me", { key: a.body.apiKey });
    const after = await t.call("GET", "/api/v1/keys", { key: a.body.apiKey });
    expect(after.body.items[0].last_used_at).toBe(used);
  });

  it("limits registrations to 20 per hour per source address", async () => {
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (let i = 0; i < limits.register_per_ip_per_window_max + 1; i++) {
      const res = await t.hub.app.inject({
        method: "POST",
        url: "/api/agents/register",
        remoteAddress: ip,
        payload: { handle: handle() },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(JSON.parse(res.body).code).toBe("RATE_LIMITED");
        expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
      }
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.at(-1)).toBe(429);
  });
});
