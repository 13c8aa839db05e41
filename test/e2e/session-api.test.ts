import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { sha256Hex } from "../../src/kernel/json.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

const alice = privateKeyToAccount(`0x${"a1".repeat(32)}`);
const mallory = privateKeyToAccount(`0x${"b2".repeat(32)}`);
const HOST = "console.test";

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies field by field.
  body: any;
  headers: Record<string, unknown>;
}

describe("console sessions (SIWE and API key)", () => {
  const clock = manualClock(Date.UTC(2026, 5, 1));
  let t: TestHub;

  async function call(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    url: string,
    o: { cookie?: string; csrf?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { host: HOST, ...o.headers };
    if (o.cookie) headers.cookie = o.cookie;
    if (o.csrf) headers["x-csrf-token"] = o.csrf;
    const res = await t.hub.app.inject({
      method,
      url,
      headers,
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
    });
    let body: unknown = res.body;
    try {
      body = JSON.parse(res.body);
    } catch {}
    return { status: res.statusCode, body, headers: res.headers };
  }

  async function signedMessage(account = alice, signer = account) {
    const n = await call("POST", "/api/v1/session/nonce", { body: { address: account.address } });
    expect(n.status).toBe(201);
    const message = n.body.message as string;
    return { message, signature: await signer.signMessage({ message }) };
  }

  async function signIn(account = alice) {
    const signed = await signedMessage(account);
    const res = await call("POST", "/api/v1/session", { body: signed });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const cookie = String(res.headers["set-cookie"]).split(";")[0] ?? "";
    const me = await call("GET", "/api/v1/session", { cookie });
    return { res, cookie, csrf: me.body.csrfToken as string, me };
  }

  beforeAll(async () => {
    t = await startTestHub({ clock });
  });
  afterAll(() => t.close());

  it("issues an EIP-4361 message for this host with a fresh alphanumeric nonce", async () => {
    const n = await call("POST", "/api/v1/session/nonce", { body: { address: alice.address } });
    const nonce = n.body;
    expect(nonce.domain).toBe(HOST);
    expect(nonce.uri).toBe(`http://${HOST}`);
    expect(nonce.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(nonce.message).toContain(`${HOST} wants you to sign in with your Ethereum account:`);
    expect(nonce.message).toContain(alice.address);
  });

  it("signs a wallet in with an httpOnly SameSite cookie and acts as its human principal", async () => {
    const { res, cookie, me } = await signIn();
    const set = String(res.headers["set-cookie"]);
    expect(set).toMatch(/^agx_session=agxs_/);
    expect(set).toContain("HttpOnly");
    expect(set).toContain("SameSite=Strict");
    expect(set).not.toContain("Secure");
    expect(res.body.principal.kind).toBe("human");
    expect(me.body.session.address).toBe(alice.address);
    expect(me.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const who = await call("GET", "/api/v1/me", { cookie });
    expect(who.status).toBe(200);
    expect(who.body.principal.id).toBe(res.body.principal.id);
  });

  it("links a wallet to the same principal on every sign-in", async () => {
    const first = await signIn();
    const second = await signIn();
    expect(second.res.body.principal.id).toBe(first.res.body.principal.id);
    expect(second.cookie).not.toBe(first.cookie);
  });

  it("stores sessions only as digests of their tokens", async () => {
    const { cookie } = await signIn();
    const token = cookie.split("=")[1] ?? "";
    const rows = await t.hub.ctx.db.kysely
      .selectFrom("session_sessions")
      .select(["token_sha256"])
      .execute();
    expect(rows.map((r: { token_sha256: string }) => r.token_sha256)).toContain(sha256Hex(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("refuses a replayed message: the nonce is single-use", async () => {
    const signed = await signedMessage();
    expect((await call("POST", "/api/v1/session", { body: signed })).status).toBe(201);
    const again = await call("POST", "/api/v1/session", { body: signed });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe("SIWE_NONCE_INVALID");
  });

  it("lets one of two racing presentations of a message win", async () => {
    const signed = await signedMessage();
    const both = await Promise.all([
      call("POST", "/api/v1/session", { body: signed }),
      call("POST", "/api/v1/session", { body: signed }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 401]);
  });

  it("refuses a signature of another wallet and burns the nonce", async () => {
    const forged = await signedMessage(alice, mallory);
    const res = await call("POST", "/api/v1/session", { body: forged });
    expect(res.body.code).toBe("SIWE_SIGNATURE_INVALID");
    const honest = { ...forged, signature: await alice.signMessage({ message: forged.message }) };
    expect((await call("POST", "/api/v1/session", { body: honest })).body.code).toBe(
      "SIWE_NONCE_INVALID",
    );
  });

  it("refuses a message for another domain", async () => {
    const { message } = await signedMessage();
    const phished = message.replace(`${HOST} wants`, "evil.example wants");
    const res = await call("POST", "/api/v1/session", {
      body: { message: phished, signature: await alice.signMessage({ message: phished }) },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("SIWE_MESSAGE_INVALID");
  });

  it("refuses an expired nonce", async () => {
    const signed = await signedMessage();
    clock.advance(11 * 60_000);
    const res = await call("POST", "/api/v1/session", { body: signed });
    expect(res.body.code).toBe("SIWE_NONCE_INVALID");
  });

  it("needs the CSRF token, from this origin, on state-changing cookie requests", async () => {
    const { cookie, csrf } = await signIn();
    const body = { kind: "bounty", title: "Label 10 images", description: "", category: "data" };
    const listing = { ...body, price: { type: "fixed", amount: "2" }, asset: "USDC" };
    const bare = await call("POST", "/api/market/listings", { cookie, body: listing });
    expect(bare.status).toBe(403);
    expect(bare.body.code).toBe("CSRF_TOKEN_INVALID");
    const wrong = await call("POST", "/api/market/listings", {
      cookie,
      csrf: `${csrf.slice(0, -2)}xx`,
      body: listing,
    });
    expect(wrong.body.code).toBe("CSRF_TOKEN_INVALID");
    const crossSite = await call("POST", "/api/market/listings", {
      cookie,
      csrf,
      body: listing,
      headers: { origin: "https://evil.example" },
    });
    expect(crossSite.body.code).toBe("CSRF_TOKEN_INVALID");
    const ok = await call("POST", "/api/market/listings", {
      cookie,
      csrf,
      body: listing,
      headers: { origin: `http://${HOST}`, "idempotency-key": "post-1" },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it("ends a session at sign-out (with the CSRF token) and clears the cookie", async () => {
    const { cookie, csrf } = await signIn();
    expect((await call("DELETE", "/api/v1/session", { cookie })).body.code).toBe(
      "CSRF_TOKEN_INVALID",
    );
    const out = await call("DELETE", "/api/v1/session", { cookie, csrf });
    expect(out.status).toBe(204);
    expect(String(out.headers["set-cookie"])).toContain("Max-Age=0");
    const after = await call("GET", "/api/v1/me", { cookie });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("SESSION_INVALID");
    expect((await call("GET", "/api/v1/session", { cookie })).status).toBe(401);
  });

  it("expires a session twelve hours after sign-in", async () => {
    const { cookie } = await signIn();
    clock.advance(12 * 60 * 60_000 - 1000);
    expect((await call("GET", "/api/v1/me", { cookie })).status).toBe(200);
    clock.advance(2000);
    expect((await call("GET", "/api/v1/me", { cookie })).body.code).toBe("SESSION_INVALID");
  });

  it("exchanges an operator's API key for an admin session", async () => {
    const res = await call("POST", "/api/v1/session/key", { body: { apiKey: t.adminKey } });
    expect(res.status).toBe(201);
    expect(res.body.session.scope).toBe("admin");
    const cookie = String(res.headers["set-cookie"]).split(";")[0] ?? "";
    const verify = await call("GET", "/api/v1/admin/ledger/verify", { cookie });
    expect(verify.status).toBe(200);
    const bad = await call("POST", "/api/v1/session/key", {
      body: { apiKey: `sk_agx_${"x".repeat(40)}` },
    });
    expect(bad.status).toBe(401);
  });

  it("ends a key session when its key is revoked", async () => {
    const made = await t.call("POST", "/api/v1/keys", {
      key: t.adminKey,
      body: { scope: "read", label: "console" },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const res = await call("POST", "/api/v1/session/key", { body: { apiKey: made.body.secret } });
    expect(res.body.session.scope).toBe("read");
    const cookie = String(res.headers["set-cookie"]).split(";")[0] ?? "";
    expect((await call("GET", "/api/v1/me", { cookie })).status).toBe(200);
    await t.call("DELETE", `/api/v1/keys/${made.body.key.id}`, { key: t.adminKey });
    expect((await call("GET", "/api/v1/me", { cookie })).body.code).toBe("SESSION_INVALID");
  });

  it("keeps a wallet session out of operator routes", async () => {
    const { cookie } = await signIn();
    const res = await call("GET", "/api/v1/admin/ledger/verify", { cookie });
    expect(res.status).toBe(403);
  });
});

describe("console sessions over https", () => {
  it("sets a __Host- Secure cookie when the public URL is https", async () => {
    const t = await startTestHub({ config: { public_url: "https://hub.example" } });
    try {
      const n = await t.hub.app.inject({
        method: "POST",
        url: "/api/v1/session/nonce",
        payload: { address: alice.address },
      });
      const { message } = JSON.parse(n.body);
      const res = await t.hub.app.inject({
        method: "POST",
        url: "/api/v1/session",
        payload: { message, signature: await alice.signMessage({ message }) },
      });
      expect(res.statusCode, res.body).toBe(201);
      const set = String(res.headers["set-cookie"]);
      expect(set).toMatch(/^__Host-agx_session=/);
      expect(set).toContain("; Secure");
    } finally {
      await t.close();
    }
  });
});
