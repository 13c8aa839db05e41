import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installProblemHandlers } from "../../src/http/problems.ts";
import { installConsole, safeJoin } from "../../src/http/routes/console/static.ts";

async function appOn(dist_dir: string): Promise<FastifyInstance> {
  const app = Fastify();
  installProblemHandlers(app);
  installConsole(app, { dist_dir });
  app.get("/api/v1/thing", async () => ({ ok: true }));
  app.post("/orders", async () => ({ posted: true }));
  await app.ready();
  return app;
}

describe("console static files", () => {
  const dist = mkdtempSync(join(tmpdir(), "agx-console-"));
  let app: FastifyInstance;

  beforeAll(async () => {
    mkdirSync(join(dist, "assets"));
    writeFileSync(join(dist, "index.html"), "<!doctype html><title>console</title>");
    writeFileSync(join(dist, "assets", "index-abc123.js"), "console.log(1)");
    writeFileSync(join(dist, "assets", "index-abc123.css"), "body{}");
    writeFileSync(join(tmpdir(), "agx-secret.txt"), "TOP-SECRET-CONTENT");
    app = await appOn(dist);
  });
  afterAll(() => app.close());

  it("serves index.html for / and for app routes, never cached, with a CSP", async () => {
    for (const url of ["/", "/market", "/orders/mord_x?tab=thread"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
      expect(res.headers["x-frame-options"]).toBe("DENY");
      expect(res.body).toContain("<title>console</title>");
    }
  });

  it("serves hashed assets with their type, cached for a year", async () => {
    const js = await app.inject({ method: "GET", url: "/assets/index-abc123.js" });
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.headers["x-content-type-options"]).toBe("nosniff");
    const css = await app.inject({ method: "GET", url: "/assets/index-abc123.css" });
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    const head = await app.inject({ method: "HEAD", url: "/assets/index-abc123.js" });
    expect(head.statusCode).toBe(200);
  });

  it("answers missing files and API paths with problems, not the app", async () => {
    const unknown = await app.inject({ method: "GET", url: "/no/such/thing" });
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body).code).toBe("ROUTE_NOT_FOUND");
    const missing = await app.inject({ method: "GET", url: "/assets/nope.js" });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toContain("application/problem+json");
    const api = await app.inject({ method: "GET", url: "/api/v1/unknown" });
    expect(api.statusCode).toBe(404);
    expect(JSON.parse(api.body).code).toBe("ROUTE_NOT_FOUND");
    expect((await app.inject({ method: "GET", url: "/api/v1/thing" })).json()).toEqual({
      ok: true,
    });
    const post = await app.inject({ method: "DELETE", url: "/market" });
    expect(post.headers["content-type"]).toContain("application/problem+json");
  });

  it("never leaves its directory", async () => {
    for (const url of [
      "/../agx-secret.txt",
      "/..%2fagx-secret.txt",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/assets/..%2f..%2fagx-secret.txt",
      "/..%5cagx-secret.txt",
      "/%00.js",
      "/%E0%A4%A",
    ]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.body, url).not.toContain("TOP-SECRET-CONTENT");
      expect(res.body, url).not.toContain("root:");
    }
    expect(safeJoin("/srv/dist", "/../etc/passwd")).toBe("/srv/dist/etc/passwd");
    expect(safeJoin("/srv/dist", "/assets/x.js")).toBe("/srv/dist/assets/x.js");
  });

  it("explains how to build the console when web/dist is missing", async () => {
    const bare = await appOn(join(dist, "not-built"));
    try {
      const res = await bare.inject({ method: "GET", url: "/market" });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain("npm run build:web");
      const api = await bare.inject({ method: "GET", url: "/api/v1/thing" });
      expect(api.statusCode).toBe(200);
    } finally {
      await bare.close();
    }
  });
});
