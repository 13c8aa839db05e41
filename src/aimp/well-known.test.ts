import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePyJson, parseWellKnown } from "./index.ts";

const text = readFileSync(new URL("./vectors/well-known.json.txt", import.meta.url), "utf8");
// biome-ignore lint/suspicious/noExplicitAny: each case edits the document freely
type Doc = Record<string, any>;
const doc = (): Doc => JSON.parse(text);

function errorsOf(input: unknown): Array<{ pointer: string }> {
  const parsed = parseWellKnown(input);
  if (parsed.ok) throw new Error("expected the document to be refused");
  return parsed.errors;
}

describe("parseWellKnown", () => {
  it("reads the upstream discovery vector into a typed document", () => {
    const parsed = parseWellKnown(text);
    expect(parsed).toEqual({ ok: true, well_known: JSON.parse(text) });
    if (!parsed.ok) return;
    expect(parsed.well_known.federation?.routing_fee_bps).toBe(100);
    expect(parsed.well_known.signer_public_key).toBe(
      "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    );
  });

  it("accepts the vector as parsed by JSON.parse or parsePyJson alike", () => {
    expect(parseWellKnown(doc()).ok).toBe(true);
    expect(parseWellKnown(parsePyJson(text)).ok).toBe(true);
  });

  it("reads peers and observed hubs with their optional members", () => {
    const input = doc();
    input.peers = [
      {
        url: "https://hub2.example.com",
        name: "Legal AI Hub",
        capabilities_count: 34,
        last_crawl: "2026-05-21T10:00:00Z",
        trust_score: 0.85,
      },
    ];
    input.observed_hubs = [{ url: "https://seen.example", status: "observed", depth: 2 }];
    const parsed = parseWellKnown(input);
    expect(parsed).toMatchObject({ ok: true, well_known: { peers: input.peers } });
    expect(parsed).toMatchObject({ well_known: { observed_hubs: input.observed_hubs } });
  });

  it("drops unknown members instead of refusing a newer hub", () => {
    const parsed = parseWellKnown({ ...doc(), next_gen_field: { x: 1 } });
    expect(parsed.ok && "next_gen_field" in parsed.well_known).toBe(false);
  });

  it("names every missing required member", () => {
    const pointers = errorsOf({}).map((e) => e.pointer);
    expect(pointers).toEqual([
      "/protocol_versions",
      "/name",
      "/manifest_url",
      "/signer_public_key",
    ]);
  });

  it.each<[string, (d: Doc) => void, string]>([
    ["an unknown protocol", (d) => (d.protocol_versions = ["v9"]), "/protocol_versions/0"],
    ["no protocols", (d) => (d.protocol_versions = []), "/protocol_versions"],
    ["a file: manifest URL", (d) => (d.manifest_url = "file:///etc/passwd"), "/manifest_url"],
    ["a URL with a newline", (d) => (d.mcp_endpoint = "https://a.example/\nx"), "/mcp_endpoint"],
    [
      "a weak signer key",
      (d) => (d.signer_public_key = `${"A".repeat(43)}=`),
      "/signer_public_key",
    ],
    ["a negative count", (d) => (d.products_count = -1), "/products_count"],
    ["a fractional count", (d) => (d.capabilities_count = 2.5), "/capabilities_count"],
    ["a string chain", (d) => (d.supported_chains = "base"), "/supported_chains"],
    [
      "a crawl interval under 60 s",
      (d) => (d.federation.crawl_interval_s = 5),
      "/federation/crawl_interval_s",
    ],
    [
      "a fee over 100 %",
      (d) => (d.federation.routing_fee_bps = 10_001),
      "/federation/routing_fee_bps",
    ],
    [
      "a seed that is not a URL",
      (d) => (d.federation.seed_list = ["hub3"]),
      "/federation/seed_list/0",
    ],
    ["a peer without a name", (d) => (d.peers = [{ url: "https://p.example" }]), "/peers/0/name"],
    [
      "a trust score above 1",
      (d) => (d.peers = [{ url: "https://p.example", name: "p", trust_score: 1.5 }]),
      "/peers/0/trust_score",
    ],
    [
      "a bad last_crawl",
      (d) => (d.peers = [{ url: "https://p.example", name: "p", last_crawl: "yesterday" }]),
      "/peers/0/last_crawl",
    ],
    [
      "an observed hub with another status",
      (d) => (d.observed_hubs = [{ url: "https://o.example", status: "trusted" }]),
      "/observed_hubs/0/status",
    ],
    [
      "a release version not 0.x.y",
      (d) => (d.protocol_release_version = "1.0.0"),
      "/protocol_release_version",
    ],
    ["too many peers", (d) => (d.peers = Array.from({ length: 1001 }, () => ({}))), "/peers"],
  ])("refuses %s, pointing at the member", (_name, edit, pointer) => {
    const input = doc();
    edit(input);
    expect(errorsOf(input).map((e) => e.pointer)).toEqual([pointer]);
  });

  it("refuses text that is not JSON and JSON that is not an object", () => {
    expect(errorsOf("{not json")).toEqual([{ pointer: "", detail: "is not JSON" }]);
    expect(errorsOf("[]")).toEqual([{ pointer: "", detail: "must be an object" }]);
    expect(errorsOf(null)).toEqual([{ pointer: "", detail: "must be an object" }]);
  });
});
