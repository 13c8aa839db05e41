import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

describeStores("catalogue over HTTP", (store) => {
  let t: TestHub;
  let provider = "";
  const u = Math.random().toString(36).slice(2, 8);
  beforeAll(async () => {
    t = await startTestHub({ database: store.db });
    provider = (await t.call("POST", "/api/agents/register", { body: { handle: `prov${u}` } })).body
      .apiKey;
    const skill = await t.call("POST", "/api/v1/catalog/skills", {
      key: provider,
      body: {
        key: `geo${u}.distance`,
        version: "1.0.0",
        label: "Distance",
        description: "great-circle distance between two points",
        operations: [
          {
            name: "compute",
            description: "distance in km",
            input_schema: {
              type: "object",
              properties: { items: { type: "array", maxItems: 100 } },
              required: ["items"],
            },
            output_schema: { type: "object" },
          },
        ],
      },
    });
    expect(skill.status).toBe(201);
  });
  afterAll(() => t.close());

  const publish = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.call("POST", "/api/v1/catalog/services", {
      key: provider,
      headers,
      body: {
        name: `haversine-${u}`,
        version: "1.0.0",
        skill_key: `geo${u}.distance`,
        description: "fast haversine",
        company_name: "Geo Ltd",
        execution_mode: "native",
        endpoints: [{ url: "https://geo.example/compute", method: "POST" }],
        pricing: {
          model: "per_unit",
          asset: "USDC",
          unit: "item",
          amount_per_unit: "0.001",
          minimum: "0.002",
        },
        rails: ["agx-ledger"],
        ...body,
      },
    });

  it("seeds an empty hub with the built-in skills, searchable and quotable at once", async () => {
    const res = await t.call("POST", "/api/v1/market/search", {
      key: provider,
      body: {
        query: "word count reading time statistics",
        input: { text: "One two three. Four five." },
      },
    });
    const top = res.body.quotes[0];
    expect(top.service.name).toBe("builtin-text-stats-analyze");
    expect(top.service.endpoints[0].url).toBe("builtin:text.stats#analyze");
    expect(top.quote.price.asset).toBe("USDC");
    const skills = await t.call("GET", "/api/v1/catalog/skills?limit=50");
    const keys = skills.body.items.map((k: { key: string }) => k.key);
    for (const k of [
      "text.stats",
      "json.validate",
      "hash.digest",
      "units.convert",
      "text.summarize",
    ]) {
      expect(keys).toContain(k);
    }
  });

  it("publishes a service with exact decimal pricing and lists it with filters", async () => {
    const res = await publish({}, { "idempotency-key": `pub-${u}` });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      ref: `haversine-${u}@1.0.0`,
      pricing: { model: "per_unit", amount_per_unit: "0.001000", minimum: "0.002000" },
    });
    const again = await publish({}, { "idempotency-key": `pub-${u}` });
    expect(again.headers["idempotent-replayed"]).toBe("true");
    const list = await t.call(
      "GET",
      `/api/v1/catalog/services?skill=geo${u}.distance&rail=agx-ledger&price_max=0.01`,
    );
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([res.body.id]);
  });

  it("refuses unsafe endpoints, prices with too many decimals and unknown skills", async () => {
    const unsafe = await publish({
      name: `bad1-${u}`,
      endpoints: [{ url: "http://169.254.169.254/latest", method: "GET" }],
    });
    expect(unsafe.status).toBe(403);
    expect(unsafe.body.code).toBe("NET_URL_BLOCKED");
    const loop = await publish({
      name: `bad2-${u}`,
      endpoints: [{ url: "http://127.0.0.1:8080/x", method: "GET" }],
    });
    expect(loop.body.code).toBe("NET_URL_BLOCKED");
    const precise = await publish({
      name: `bad3-${u}`,
      pricing: { model: "fixed", asset: "USDC", amount: "0.0000001" },
    });
    expect(precise.body.code).toBe("LEDGER_AMOUNT_INVALID");
    const negative = await publish({
      name: `bad4-${u}`,
      pricing: { model: "fixed", asset: "USDC", amount: "-1" },
    });
    expect(negative.body.code).toBe("VALIDATION_FAILED");
    const unknown = await publish({ name: `bad5-${u}`, skill_key: "no.such" });
    expect(unknown.body.code).toBe("CATALOG_SKILL_NOT_FOUND");
  });

  it("searches with context and answers ranked, signed quotes priced from the input", async () => {
    const res = await t.call("POST", "/api/v1/market/search", {
      key: provider,
      body: {
        query: "distance between points",
        context: { region: "global", budget: { amount: "1", asset: "USDC" } },
        input: { items: [1, 2, 3, 4, 5] },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
    const [first] = res.body.quotes;
    expect(first.quote.price).toEqual({ amount: "0.005000", amount_minor: "5000", asset: "USDC" });
    expect(first.quote.jws.split(".")).toHaveLength(3);
    expect(first.reasons.length).toBeGreaterThan(0);
    const none = await t.call("POST", "/api/v1/market/search", {
      key: provider,
      body: { query: "zzzqqq" },
    });
    expect(none.body).toMatchObject({ status: "no_match", quotes: [] });
    const empty = await t.call("POST", "/api/v1/market/search", {
      key: provider,
      body: { query: "" },
    });
    expect(empty.body.code).toBe("CATALOG_SEARCH_EMPTY");
  });
});
