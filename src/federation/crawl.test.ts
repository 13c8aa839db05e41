import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAimpKeyPair, signManifest } from "../aimp/index.ts";
import { crawlPeer, hubOrigin, readTools } from "./crawl.ts";
import { guardedPeerFetch, type PeerFetch } from "./peer-client.ts";

describe("crawling one peer", () => {
  const key = generateAimpKeyPair();
  let server: Server;
  let url = "";
  let mode: "ok" | "slow" | "error" = "ok";
  const tool = {
    name: "prod-1.translate@v1",
    description: "Translate text",
    input_schema: { type: "object" },
    price_per_call_usd: 0.25,
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (mode === "slow") return; // accepts, never answers
      if (mode === "error") return res.writeHead(503).end("down");
      const doc =
        req.url === "/.well-known/ai-market.json"
          ? {
              name: "test peer",
              protocol_versions: ["v1", "v2"],
              manifest_url: `${url}/ai-market/manifest`,
              signer_public_key: key.public_key_b64,
            }
          : signManifest(
              {
                protocol_version: "v2" as const,
                generated_at: "2026-01-01T00:00:00Z",
                capabilities_count: 2,
                tools: [tool, { ...tool, name: "x.y@v1", source_hub: "https://elsewhere.example" }],
              },
              key.privateKey,
            );
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const fetchWithin = (timeout_ms: number): PeerFetch => {
    const guarded = guardedPeerFetch({ allowHosts: ["127.0.0.1"], allowPrivate: false }, () => url);
    return (r) => guarded({ ...r, timeout_ms });
  };
  const peer = () => ({ hub_url: url, well_known_url: `${url}/.well-known/ai-market.json` });

  it("indexes the peer's own priced tools from a manifest that verifies", async () => {
    mode = "ok";
    const out = await crawlPeer(fetchWithin(2000), peer());
    expect(out).toMatchObject({ kind: "ok", name: "test peer", capabilities_count: 1, skipped: 1 });
    if (out.kind !== "ok") return;
    expect(out.tools[0]).toMatchObject({
      product_id: "prod-1",
      capability_id: "translate@v1",
      price_usd_micros: 250_000n,
    });
  });

  it("reports a slow peer as unreachable once the crawl timeout passes", async () => {
    mode = "slow";
    const out = await crawlPeer(fetchWithin(150), peer());
    expect(out).toMatchObject({ kind: "unreachable" });
    expect(out.kind === "unreachable" && out.detail).toMatch(/NET_FETCH_TIMEOUT/);
  });

  it("reports an erroring peer as unreachable, not refused", async () => {
    mode = "error";
    expect(await crawlPeer(fetchWithin(2000), peer())).toMatchObject({
      kind: "unreachable",
      detail: "well-known: answered HTTP 503",
    });
  });

  it("keys peers by origin and refuses URLs with paths, queries or credentials", () => {
    expect(hubOrigin("https://Hub.Example:443/")).toBe("https://hub.example");
    for (const bad of [
      "https://h.example/x",
      "https://h.example/?a=1",
      "https://u:p@h.example",
      "ftp://h",
    ]) {
      expect(hubOrigin(bad), bad).toBeNull();
    }
  });

  it("leaves out tools without a price or with ids that cannot be routed", () => {
    const { tools, skipped } = readTools(
      [
        { name: "a.b@v1" },
        { name: "a.b@v1", price_per_call_usd: -1 },
        { name: "../etc.passwd", price_per_call_usd: 1 },
        { name: "ok.cap@v2", price_per_call_usd: 1e-7 },
        { name: "ok.cap@v2", price_per_call_usd: 2 },
      ],
      "https://h.example",
    );
    expect(tools.map((t) => [t.name, t.price_usd_micros])).toEqual([["ok.cap@v2", 1n]]);
    expect(skipped).toBe(4);
  });
});
