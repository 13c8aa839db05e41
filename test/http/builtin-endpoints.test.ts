import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { newId } from "../../src/kernel/ids.ts";
import { createHub } from "../../src/main.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

const u = () => Math.random().toString(36).slice(2, 10);

const service = (name: string, url: string, skill_key = "hash.digest") => ({
  name,
  version: "1.0.0",
  skill_key,
  description: "sha256 as a service",
  company_name: "Digests",
  execution_mode: "native",
  endpoints: [{ url, method: "POST" }],
  pricing: { model: "fixed", asset: "USDC", amount: "0.05" },
  rails: ["agx-ledger"],
});

async function seller(t: TestHub): Promise<{ key: string }> {
  const reg = await t.call("POST", "/api/agents/register", { body: { handle: `bi${u()}` } });
  return { key: reg.body.apiKey };
}

async function servicesNamed(t: TestHub, name: string): Promise<number> {
  const page = await t.call("GET", "/api/v1/catalog/services?skill=hash.digest&limit=100", {
    headers: { "peac-purpose": "search" },
  });
  expect(page.status).toBe(200);
  return page.body.items.filter((s: { name: string }) => s.name === name).length;
}

describe("who may sell the hub's built-in skills (builtin: endpoints)", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it("refuses a seller's builtin: endpoint with CATALOG_BUILTIN_RESERVED and writes nothing", async () => {
    const s = await seller(t);
    const name = `resold-${u()}`;
    const res = await t.call("POST", "/api/v1/catalog/services", {
      key: s.key,
      body: service(name, "builtin:hash.digest#digest"),
    });
    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe("CATALOG_BUILTIN_RESERVED");
    expect(res.body.detail).toContain("/endpoints/0/url");
    expect(await servicesNamed(t, name)).toBe(0);
  });

  it("still lets the same seller publish an https endpoint it runs itself", async () => {
    const s = await seller(t);
    const name = `own-${u()}`;
    const res = await t.call("POST", "/api/v1/catalog/services", {
      key: s.key,
      body: service(name, "https://digests.example/run"),
    });
    expect(res.status).toBe(201);
    expect(await servicesNamed(t, name)).toBe(1);
  });

  it("lets an admin key publish a builtin service, which a funded buyer invokes in process", async () => {
    const name = `operator-${u()}`;
    const res = await t.call("POST", "/api/v1/catalog/services", {
      key: t.adminKey,
      body: service(name, "builtin:hash.digest#digest"),
    });
    expect(res.status).toBe(201);
    const reg = await t.call("POST", "/api/agents/register", { body: { handle: `bi${u()}` } });
    await t.call("POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: "1", asset: "USDC" },
    });
    const paid = await t.call("POST", `/capabilities/${name}/digest@v1/invoke`, {
      key: reg.body.apiKey,
      body: { input: { algorithm: "sha256", data: "abc" } },
    });
    expect(paid.status).toBe(200);
    expect(paid.body.result.digest).toBe(createHash("sha256").update("abc").digest("hex"));
    expect(paid.body.price_usd).toBe(0.05);
    const verify = await t.call("GET", "/api/v1/admin/ledger/verify", { key: t.adminKey });
    expect(verify.body.failures).toEqual([]);
  });

  it("checks what an admin's builtin: endpoint names: a built-in skill, the service's own, and its operation", async () => {
    const cases: [string, string, string][] = [
      ["builtin:no.such#digest", "hash.digest", 'no built-in skill "no.such"'],
      ["builtin:text.stats#analyze", "hash.digest", "is not this service's skill"],
      ["builtin:hash.digest#shred", "hash.digest", 'has no operation "shred"'],
    ];
    for (const [url, skill, detail] of cases) {
      const name = `bad-${u()}`;
      const res = await t.call("POST", "/api/v1/catalog/services", {
        key: t.adminKey,
        body: service(name, url, skill),
      });
      expect(res.status, url).toBe(400);
      expect(res.body.code).toBe("CATALOG_BUILTIN_UNKNOWN");
      expect(res.body.detail).toContain(detail);
      expect(res.body.errors).toEqual([
        { pointer: "/endpoints/0/url", detail: expect.any(String) },
      ]);
      expect(await servicesNamed(t, name)).toBe(0);
    }
    const whole = await t.call("POST", "/api/v1/catalog/services", {
      key: t.adminKey,
      body: service(`any-op-${u()}`, "builtin:hash.digest"),
    });
    expect(whole.status).toBe(201);
  });
});

describe("a hub that lets sellers resell its built-in skills (AGX_BUILTIN_RESALE)", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ config: { builtin_resale: true } });
  });
  afterAll(() => t.close());

  it("takes a seller's builtin: endpoint, still checked against the built-in skills", async () => {
    const s = await seller(t);
    const ok = await t.call("POST", "/api/v1/catalog/services", {
      key: s.key,
      body: service(`resold-${u()}`, "builtin:hash.digest#digest"),
    });
    expect(ok.status).toBe(201);
    expect(ok.body.endpoints[0].url).toBe("builtin:hash.digest#digest");
    const bad = await t.call("POST", "/api/v1/catalog/services", {
      key: s.key,
      body: service(`resold-${u()}`, "builtin:hash.digest#shred"),
    });
    expect(bad.body.code).toBe("CATALOG_BUILTIN_UNKNOWN");
  });

  it("reads AGX_BUILTIN_RESALE as a boolean, off by default", () => {
    expect(loadConfig({ env: {} }).builtin_resale).toBe(false);
    expect(loadConfig({ env: { AGX_BUILTIN_RESALE: "true" } }).builtin_resale).toBe(true);
    expect(loadConfig({ env: { AGX_BUILTIN_RESALE: "false" } }).builtin_resale).toBe(false);
    expect(() => loadConfig({ env: { AGX_BUILTIN_RESALE: "sometimes" } })).toThrow(ConfigError);
  });
});

describe("a hub started with resale off over services that resell its built-in skills", () => {
  it("names them in a warning at start (published while resale was on, or before the rule)", async () => {
    const data_dir = mkdtempSync(join(tmpdir(), "agx-resale-"));
    const overrides = { env: "test" as const, log_level: "silent", port: 0, data_dir };
    const first = await startTestHub({ config: { ...overrides, builtin_resale: true } });
    const s = await seller(first);
    const name = `resold-${u()}`;
    const made = await first.call("POST", "/api/v1/catalog/services", {
      key: s.key,
      body: service(name, "builtin:hash.digest#digest"),
    });
    expect(made.status).toBe(201);
    await first.close();

    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const hub = await createHub(loadConfig({ env: {}, overrides }), {
      logger: pino({ level: "warn" }, sink),
    });
    try {
      const warned = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
      expect(warned).toHaveLength(1);
      expect(warned[0].msg).toContain("AGX_BUILTIN_RESALE is off");
      expect(warned[0].services).toEqual([
        { id: made.body.id, name, provider_id: expect.stringMatching(/^prn_/) },
      ]);
    } finally {
      await hub.close();
    }
  });
});
