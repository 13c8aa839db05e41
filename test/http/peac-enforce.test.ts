import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerOf, installAuth } from "../../src/http/auth.ts";
import { type EnforcementPolicy, installPeacEnforcement } from "../../src/http/peac/enforce.ts";
import { installProblemHandlers } from "../../src/http/problems.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

const HOUR_MS = 3_600_000;
const policy: EnforcementPolicy = {
  usage: "conditional",
  purposes_allowed: ["inference", "search"],
  purposes_prohibited: ["train"],
  free_quota: { count: 2, window_ms: 24 * HOUR_MS },
  rate_limit: { count: 5, window_ms: HOUR_MS },
  price: { amount_minor: 1000n, asset: "USDC", decimals: 6 },
  payment_methods: ["agx-ledger", "x402"],
  attribution: "required",
  attribution_format: "Source: {url}",
  digest: "sha256:00",
};

describe("PEAC policy enforcement on a governed route", () => {
  let t: TestHub;
  let app: FastifyInstance;
  let key = "";

  beforeAll(async () => {
    t = await startTestHub();
    app = Fastify();
    installProblemHandlers(app);
    installAuth(app, t.hub.ctx);
    installPeacEnforcement(app, t.hub.ctx, () => policy);
    app.get("/governed", { config: { peac: true, access: "read" } }, async (request) => ({
      ok: true,
      who: callerOf(request).principal.id,
    }));
    await app.ready();
    const reg = await t.call("POST", "/api/agents/register", { body: { handle: "peacuser" } });
    key = reg.body.apiKey;
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  const get = (purpose?: string) =>
    app.inject({
      method: "GET",
      url: "/governed",
      headers: { authorization: `Bearer ${key}`, ...(purpose ? { "peac-purpose": purpose } : {}) },
    });

  it("refuses a prohibited purpose with 403 and still receipts the decision", async () => {
    const res = await get("train");
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body).code).toBe("PEAC_PURPOSE_DENIED");
    const verified = await t.call("POST", "/v1/verify", {
      body: { receipt: res.headers["peac-receipt"] },
    });
    expect(verified.body.payload.details).toMatchObject({ decision: "deny" });
  });

  it("refuses an undeclared purpose when usage is conditional", async () => {
    expect((await get()).statusCode).toBe(403);
  });

  it("serves the free quota, then answers 402 with the price, with one receipt per answer", async () => {
    const first = await get("inference");
    expect(first.statusCode).toBe(200);
    expect(first.headers["peac-purpose-applied"]).toBe("inference");
    expect(first.headers["peac-attribution"]).toBe("Source: {url}");
    expect(first.headers["ratelimit-limit"]).toBe("5");
    expect(String(first.headers["peac-receipt"]).split(".")).toHaveLength(3);
    expect((await get("search")).statusCode).toBe(200);
    const paid = await get("inference");
    expect(paid.statusCode).toBe(402);
    const body = JSON.parse(paid.body);
    expect(body.code).toBe("PEAC_PAYMENT_REQUIRED");
    expect(body.payment).toEqual({
      amount: "0.001000",
      amount_minor: "1000",
      asset: "USDC",
      methods: ["agx-ledger", "x402"],
    });
    expect(paid.headers["peac-receipt"]).toBeTruthy();
  });

  it("counts the rate limit in the database and answers 429 with Retry-After", async () => {
    let last = await get("inference");
    for (let i = 0; i < 5 && last.statusCode !== 429; i++) last = await get("inference");
    expect(last.statusCode).toBe(429);
    expect(JSON.parse(last.body).code).toBe("PEAC_RATE_LIMITED");
    expect(Number(last.headers["retry-after"])).toBeGreaterThan(0);
    expect(last.headers["ratelimit-remaining"]).toBe("0");
  });
});
