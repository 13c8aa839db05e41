import { createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canonicalManifest,
  parseWellKnown,
  publicKeyFromBase64,
  verifyManifest,
} from "../../src/aimp/index.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

const PAY_TO = "0x1111111111111111111111111111111111111111";

describe("AI Market Protocol documents, pricing, discover and Bazaar", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({
      config: {
        x402_pay_to: PAY_TO,
        // Never called here: the documents only advertise x402.
        x402_facilitator: "https://facilitator.example.com",
        public_url: "https://hub.example",
      },
    });
  });
  afterAll(() => t.close());

  it("publishes a well-known document that the AIMP reader accepts, naming the signer key", async () => {
    const res = await t.call("GET", "/.well-known/ai-market.json");
    const parsed = parseWellKnown(res.body);
    expect(parsed.ok).toBe(true);
    expect(res.body.manifest_url).toBe("https://hub.example/ai-market/manifest");
    expect(res.body.capabilities_count).toBeGreaterThanOrEqual(9);
  });

  it("signs the manifest over the 5-field canonical string, checked with node:crypto directly", async () => {
    const known = (await t.call("GET", "/.well-known/ai-market.json")).body;
    const res = await t.hub.app.inject({ method: "GET", url: "/ai-market/manifest" });
    const manifest = JSON.parse(res.body);
    expect(manifest.signature.public_key).toBe(known.signer_public_key);
    const canonical = canonicalManifest(manifest);
    expect(canonical).toMatch(
      /^capabilities_count:\d+\|generated_at:[^|]+\|protocol_version:v1\|tools_hash:[0-9a-f]{64}\|by_hub_hash:[0-9a-f]{64}$/,
    );
    const key = createPublicKey({
      key: {
        kty: "OKP",
        crv: "Ed25519",
        x: Buffer.from(known.signer_public_key, "base64").toString("base64url"),
      },
      format: "jwk",
    });
    expect(
      verify(null, Buffer.from(canonical), key, Buffer.from(manifest.signature.value, "base64")),
    ).toBe(true);
    expect(verifyManifest(res.body, publicKeyFromBase64(known.signer_public_key)).valid).toBe(true);
    const tampered = {
      ...manifest,
      tools: manifest.tools.map((tool: { price_per_call_usd: number }, i: number) =>
        i === 0 ? { ...tool, price_per_call_usd: 0 } : tool,
      ),
    };
    expect(verifyManifest(tampered, publicKeyFromBase64(known.signer_public_key)).valid).toBe(
      false,
    );
    const tool = manifest.tools.find(
      (x: { name: string }) => x.name === "builtin-text-stats-analyze.analyze@v1",
    );
    expect(tool).toMatchObject({
      product_id: "builtin-text-stats-analyze",
      capability_id: "analyze@v1",
    });
  });

  it("lists the catalogue as MCP tools", async () => {
    const res = await t.call("GET", "/ai-market/mcp");
    expect(res.body.protocol).toBe("mcp");
    expect(res.body.tools.map((x: { name: string }) => x.name)).toContain(
      "builtin-hash-digest-digest.digest@v1",
    );
  });

  it("prices a capability by input size and by a concrete input, with the same unit rule", async () => {
    const bySize = await t.call(
      "GET",
      "/ai-market/pricing/builtin-text-stats-analyze/analyze@v1?input_size=5000",
    );
    expect(bySize.status).toBe(200);
    const byInput = await t.call(
      "POST",
      "/ai-market/pricing/builtin-text-stats-analyze/analyze@v1",
      {
        body: { input: { text: "y".repeat(5000) } },
      },
    );
    expect(byInput.body.price).toEqual(bySize.body.price);
    expect(bySize.body.jws.split(".")).toHaveLength(3);
    const unknown = await t.call("GET", "/ai-market/pricing/builtin-text-stats-analyze/nope@v1");
    expect(unknown.body.code).toBe("CATALOG_SERVICE_NOT_FOUND");
  });

  it("plans a two-step goal with draft inputs within the budget, and skips what does not fit", async () => {
    const res = await t.call("POST", "/ai-market/discover", {
      body: {
        query: "count the words of 'agents trade skills' then compute a sha256 hash digest",
        budget_usd: 1,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.plan.map((s: { product_id: string }) => s.product_id)).toEqual([
      "builtin-text-stats-analyze",
      "builtin-hash-digest-digest",
    ]);
    expect(res.body.plan[0].draft_input.text).toBe("agents trade skills");
    expect(res.body.estimated_total_usd).toBeGreaterThan(0);
    const broke = await t.call("POST", "/ai-market/discover", {
      body: { query: "count the words of 'agents trade skills'", budget_usd: "0.000001" },
    });
    expect(broke.body.plan).toEqual([]);
    expect(broke.body.skipped[0].reason).toMatch(/budget/);
  });

  it("lists paid capabilities for x402 Bazaar crawlers with requirements and filters", async () => {
    const res = await t.call("GET", "/discovery/resources?limit=3");
    expect(res.body.x402Version).toBe(2);
    expect(res.body.items).toHaveLength(3);
    expect(res.body.pagination.total).toBeGreaterThanOrEqual(9);
    const [item] = res.body.items;
    expect(item.resource).toMatch(/^https:\/\/hub\.example\/capabilities\/builtin-.+\/invoke$/);
    expect(item.accepts[0]).toMatchObject({
      scheme: "exact",
      network: "eip155:8453",
      payTo: PAY_TO,
    });
    const other = await t.call(
      "GET",
      "/discovery/resources?payTo=0x2222222222222222222222222222222222222222",
    );
    expect(other.body.items).toEqual([]);
  });

  it("publishes an A2A agent card with the PEAC traceability extension, and peac.json", async () => {
    const card = await t.call("GET", "/.well-known/agent-card.json");
    expect(card.body.capabilities.extensions[0].uri).toBe(
      "https://www.peacprotocol.org/ext/traceability/v1",
    );
    expect(card.body.skills.map((s: { id: string }) => s.id)).toEqual([
      "catalogue-search",
      "invoke",
    ]);
    const peac = await t.call("GET", "/.well-known/peac.json");
    expect(peac.body.issuer_config_url).toBe("https://hub.example/.well-known/peac-issuer.json");
  });

  it("points agent frameworks at the OpenAPI document", async () => {
    const res = await t.call("GET", "/.well-known/ai-plugin.json");
    expect(res.body.api).toEqual({ type: "openapi", url: "https://hub.example/openapi.json" });
  });
});
