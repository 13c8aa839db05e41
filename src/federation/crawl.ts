/**
 * One crawl of one peer (spec §2): its discovery document, then its signed manifest, verified
 * with the key the discovery document names; then the peer's own tools, read defensively. No
 * database here: the outcome is recorded by the caller under its crawl lease.
 */
import { PyJsonError, parseWellKnown, pyJsonDumps, verifyManifest } from "../aimp/index.ts";
import { isProblem } from "../kernel/problem.ts";
import { federationLimits as L } from "./limits.ts";
import type { CrawlOutcome, IndexedTool } from "./model.ts";
import type { PeerFetch } from "./peer-client.ts";
import { decimalTextToMinorCeil, numberText } from "./usd.ts";

/** Product and capability ids a routed call may carry (one URL path segment each). */
export const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const CAPABILITY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const MICROS = 6;

/** Signature failures refuse the peer; a document we cannot even read only degrades it. */
const UNREADABLE = new Set(["malformed_json", "not_an_object"]);

/** Fetches and verifies a peer's documents; never throws for what the peer did. */
export async function crawlPeer(
  fetch: PeerFetch,
  peer: { hub_url: string; well_known_url: string },
): Promise<CrawlOutcome> {
  const wk = await getText(fetch, peer.well_known_url, L.well_known_bytes_max);
  if (!wk.ok) return { kind: "unreachable", detail: `well-known: ${wk.detail}` };
  const parsed = parseWellKnown(wk.text);
  if (!parsed.ok) {
    const first = parsed.errors[0];
    return {
      kind: "unreachable",
      detail: `well-known is malformed at ${first?.pointer || "/"}: ${first?.detail ?? "?"}`,
    };
  }
  const known = parsed.well_known;
  const manifestUrl = known.protocol_versions.includes("v2")
    ? `${peer.hub_url}/ai-market/v2/manifest`
    : known.manifest_url;
  if (new URL(manifestUrl).origin !== peer.hub_url) {
    return { kind: "invalid", detail: "the manifest is served from another origin" };
  }
  const m = await getText(fetch, manifestUrl, L.manifest_bytes_max);
  if (!m.ok) return { kind: "unreachable", detail: `manifest: ${m.detail}` };
  // The text itself is verified, so Python float spellings hash as the peer signed them.
  const verdict = verifyManifest(m.text, known.signer_public_key);
  if (!verdict.valid) {
    const kind = UNREADABLE.has(verdict.reason) ? "unreachable" : "invalid";
    return { kind, detail: `manifest ${verdict.reason}: ${verdict.detail}`.slice(0, 300) };
  }
  const doc = JSON.parse(m.text) as Record<string, unknown>;
  const { tools, skipped } = readTools(doc.tools, peer.hub_url);
  return {
    kind: "ok",
    name: known.name.slice(0, L.hub_name_chars_max),
    signer_public_key: known.signer_public_key,
    manifest_generated_at: typeof doc.generated_at === "string" ? doc.generated_at : "",
    capabilities_count: tools.length,
    tools,
    skipped,
  };
}

async function getText(
  fetch: PeerFetch,
  url: string,
  max_bytes: number,
): Promise<{ ok: true; text: string } | { ok: false; detail: string }> {
  try {
    const res = await fetch({ url, timeout_ms: L.crawl_timeout_ms, max_bytes });
    if (res.status !== 200) return { ok: false, detail: `answered HTTP ${res.status}` };
    return { ok: true, text: res.body.toString("utf8") };
  } catch (error) {
    if (!isProblem(error)) throw error;
    return { ok: false, detail: `${error.code}: ${error.detail}` };
  }
}

/** The peer's own tools (none another hub published), valid and priced, at most the bound. */
export function readTools(
  raw: unknown,
  hub_url: string,
): { tools: IndexedTool[]; skipped: number } {
  if (!Array.isArray(raw)) return { tools: [], skipped: 0 };
  const tools: IndexedTool[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  for (const item of raw) {
    const tool = tools.length < L.tools_per_peer_max ? readTool(item, hub_url) : null;
    const key = tool ? `${tool.product_id}\n${tool.capability_id}` : "";
    if (!tool || seen.has(key)) {
      skipped++;
      continue;
    }
    seen.add(key);
    tools.push(tool);
  }
  return { tools, skipped };
}

function readTool(item: unknown, hub_url: string): IndexedTool | null {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return null;
  const t = item as Record<string, unknown>;
  const name = t.name;
  if (typeof name !== "string" || name.length === 0 || name.length > L.tool_name_chars_max) {
    return null;
  }
  if (t.source_hub !== undefined && !sameOrigin(t.source_hub, hub_url)) return null;
  const dot = name.indexOf(".");
  const product_id = typeof t.product_id === "string" ? t.product_id : name.slice(0, dot);
  const capability_id = typeof t.capability_id === "string" ? t.capability_id : name.slice(dot + 1);
  if (!PRODUCT_ID.test(product_id) || !CAPABILITY_ID.test(capability_id)) return null;
  const priceText =
    typeof t.price_per_call_usd === "number" ? numberText(t.price_per_call_usd) : null;
  const price = priceText === null ? null : decimalTextToMinorCeil(priceText, MICROS);
  if (price === null) return null;
  const latency = t.p50_latency_ms;
  // This hub re-signs what it republishes: a value it cannot hash exactly stays out.
  if (!pyRenderable(t)) return null;
  return {
    name,
    product_id,
    capability_id,
    description:
      typeof t.description === "string" ? t.description.slice(0, L.tool_description_chars_max) : "",
    price_usd_micros: price,
    p50_latency_ms:
      Number.isSafeInteger(latency) && (latency as number) >= 0 ? (latency as number) : null,
    tool: t,
  };
}

function pyRenderable(value: unknown): boolean {
  try {
    pyJsonDumps(value, "python_default");
    return true;
  } catch (error) {
    if (error instanceof PyJsonError) return false;
    throw error;
  }
}

function sameOrigin(value: unknown, hub_url: string): boolean {
  if (typeof value !== "string") return false;
  try {
    return new URL(value).origin === hub_url;
  } catch {
    return false;
  }
}

/** A hub URL as peers are keyed: its origin; null unless http(s) with nothing past the root. */
export function hubOrigin(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== "/" && url.pathname !== "") return null;
  return url.origin;
}
