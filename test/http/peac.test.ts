import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../support/hub.ts";

describe("the hub's peac.txt", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it("serves peac.txt at the well-known path and the fallback with ETag, Cache-Control and 304", async () => {
    const res = await t.hub.app.inject({ method: "GET", url: "/.well-known/peac.txt" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("public, max-age=600");
    expect(res.body).toContain("version: 0.9.14");
    const fallback = await t.hub.app.inject({ method: "GET", url: "/peac.txt" });
    expect(fallback.body).toBe(res.body);
    const cached = await t.hub.app.inject({
      method: "GET",
      url: "/.well-known/peac.txt",
      headers: { "if-none-match": String(res.headers.etag) },
    });
    expect(cached.statusCode).toBe(304);
  });

  it("receipts every answer of a governed route with exactly one PEAC-Receipt", async () => {
    const res = await t.hub.app.inject({
      method: "GET",
      url: "/api/v1/catalog/services?limit=2",
      headers: { "peac-purpose": "search" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["peac-purpose-applied"]).toBe("search");
    const receipt = res.headers["peac-receipt"];
    expect(typeof receipt).toBe("string");
    const verified = await t.call("POST", "/v1/verify", { body: { receipt } });
    expect(verified.body.payload).toMatchObject({ kind: "decision", purpose: "search" });
  });
});

describe("a hub with a priced, conditional peac.txt", () => {
  let t: TestHub;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "agx-peac-"));
    const file = join(dir, "peac.txt");
    writeFileSync(
      file,
      [
        "version: peac-policy/0.1",
        "usage: conditional",
        "purposes: [search]",
        "price: 250",
        "currency: USD",
        "rate_limit: 100/hour",
        "",
      ].join("\n"),
    );
    t = await startTestHub({ config: { peac_txt: file } });
  });
  afterAll(() => t.close());

  it("refuses an undeclared purpose and prices the governed route at once (no free quota)", async () => {
    const none = await t.hub.app.inject({ method: "GET", url: "/api/v1/catalog/services" });
    expect(none.statusCode).toBe(403);
    const paid = await t.hub.app.inject({
      method: "GET",
      url: "/api/v1/catalog/services",
      headers: { "peac-purpose": "search" },
    });
    expect(paid.statusCode).toBe(402);
    expect(JSON.parse(paid.body).payment).toMatchObject({ amount: "2.500000", asset: "USDC" });
    expect(paid.headers["peac-receipt"]).toBeTruthy();
  });

  it("refuses to start with an invalid peac.txt", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agx-peac-bad-"));
    const file = join(dir, "peac.txt");
    writeFileSync(file, "version: peac-policy/0.1\nusage: sometimes\n");
    await expect(startTestHub({ config: { peac_txt: file } })).rejects.toThrow(/POLICY_INVALID/);
  });
});
