import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limits } from "../../src/kernel/limits.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

describe("HTTP protocol layer", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it("answers liveness and readiness", async () => {
    expect((await t.call("GET", "/health")).body.status).toBe("ok");
    const ready = await t.call("GET", "/ready");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready", database: "sqlite" });
  });

  it("serves an OpenAPI 3.1 document in which every route is documented", async () => {
    const res = await t.call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const ops = Object.entries(res.body.paths as Record<string, Record<string, any>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([m, op]) => ({ path, m, op })),
    );
    expect(ops.length).toBeGreaterThan(10);
    for (const { path, m, op } of ops) {
      expect(op.summary, `${m} ${path} has a summary`).toBeTruthy();
      expect(op.operationId, `${m} ${path} has an operationId`).toBeTruthy();
      expect(op.responses["4XX"], `${m} ${path} documents its problems`).toBeTruthy();
    }
    expect(res.body.paths["/api/v1/admin/ledger/verify"].get.security).toEqual([{ apiKey: [] }]);
  });

  it("answers an unknown route with a ROUTE_NOT_FOUND problem", async () => {
    const res = await t.call("GET", "/no/such/thing");
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      code: "ROUTE_NOT_FOUND",
      type: "/problems/ROUTE_NOT_FOUND",
      status: 404,
    });
    expect(res.body.request_id).toMatch(/^req_/);
  });

  it("answers a wrong method with 405 and an Allow header", async () => {
    const res = await t.call("DELETE", "/health");
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
    expect(res.body.code).toBe("METHOD_NOT_ALLOWED");
  });

  it("answers malformed JSON with MALFORMED_JSON, not a 500", async () => {
    const res = await t.hub.app.inject({
      method: "POST",
      url: "/api/agents/register",
      headers: { "content-type": "application/json" },
      payload: '{"handle": ',
    });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).code).toBe("MALFORMED_JSON");
  });

  it("answers an oversize body with 413 BODY_TOO_LARGE", async () => {
    const res = await t.hub.app.inject({
      method: "POST",
      url: "/api/agents/register",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ handle: "x".repeat(limits.http_body_bytes_max) }),
    });
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).code).toBe("BODY_TOO_LARGE");
  });

  it("answers a non-JSON content type with 415", async () => {
    const res = await t.hub.app.inject({
      method: "POST",
      url: "/api/agents/register",
      headers: { "content-type": "text/plain" },
      payload: "handle=abc",
    });
    expect(res.statusCode).toBe(415);
    expect(JSON.parse(res.body).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("lists every invalid field by JSON pointer and never coerces body types", async () => {
    const res = await t.call("POST", "/api/agents/register", {
      body: { handle: 12345, displayName: "", extra: true },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("VALIDATION_FAILED");
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(["/displayName", "/extra", "/handle"]);
  });

  it("refuses prototype poisoning in JSON bodies", async () => {
    const res = await t.hub.app.inject({
      method: "POST",
      url: "/api/agents/register",
      headers: { "content-type": "application/json" },
      payload: '{"handle":"proto","__proto__":{"admin":true}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/problem\+json/);
  });

  it("echoes a caller's request id and makes one otherwise", async () => {
    const given = await t.call("GET", "/health", { headers: { "x-request-id": "trace-123" } });
    expect(given.headers["x-request-id"]).toBe("trace-123");
    const made = await t.call("GET", "/health", { headers: { "x-request-id": "bad id\u0001" } });
    expect(String(made.headers["x-request-id"])).toMatch(/^req_/);
  });

  it("serves the documentation page of a problem code", async () => {
    const res = await t.hub.app.inject({
      method: "GET",
      url: "/problems/LEDGER_INSUFFICIENT_FUNDS",
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/markdown/);
    expect(res.body).toContain("LEDGER_INSUFFICIENT_FUNDS");
    expect((await t.call("GET", "/problems/NOPE_NOT_A_CODE")).body.code).toBe("NOT_FOUND");
  });
});
