/**
 * The canonical strings AIMP signs (spec §7.3): `name:value` pairs joined by `|`, fixed order,
 * no whitespace, values interpolated as Python's f-strings would. Each function reproduces
 * exactly what was signed, so none of them validates; the sign and verify paths do that.
 * All throw PyJsonError for a value Python would print differently than we can (pyjson.ts).
 */
import { sha256Hex } from "../kernel/json.ts";
import {
  type AimpAnnounceCanonicalFields,
  type AimpManifestCanonicalFields,
  type AimpReceiptCanonicalFields,
  type AimpReceiptEvidence,
  RECEIPT_V2_FIELDS,
} from "./model.ts";
import { pyJsonDumps, pyNumberText } from "./pyjson.ts";

/**
 * Receipt v1, seven fields (§7.3.3):
 * `nonce:…|product_id:…|capability_id:…|price_usd:…|timestamp:…|success:1|latency_ms:…`.
 */
export function canonicalReceiptV1(receipt: AimpReceiptCanonicalFields): string {
  return [
    `nonce:${receipt.nonce}`,
    `product_id:${receipt.product_id}`,
    `capability_id:${receipt.capability_id}`,
    `price_usd:${pyNumberText(receipt.price_usd)}`,
    `timestamp:${receipt.timestamp}`,
    // The spec signs the boolean as an integer, never as true/false.
    `success:${receipt.success === true ? 1 : 0}`,
    `latency_ms:${pyNumberText(receipt.latency_ms ?? 0)}`,
  ].join("|");
}

/**
 * Lowercase hex SHA-256 of the nine v2 fields as a compact, sorted JSON object (§7.3.4),
 * an absent field bound as null so that deleting it changes the digest.
 */
export function receiptV2FieldsDigest(evidence: AimpReceiptEvidence): string {
  const payload: Record<string, unknown> = {};
  for (const name of RECEIPT_V2_FIELDS) payload[name] = evidence[name] ?? null;
  return sha256Hex(pyJsonDumps(payload, "compact"));
}

/** Receipt v2 (§7.3.4): `{v1 canonical}|v:2|fields:{receiptV2FieldsDigest}`. */
export function canonicalReceiptV2(
  receipt: AimpReceiptCanonicalFields & AimpReceiptEvidence,
): string {
  return `${canonicalReceiptV1(receipt)}|v:2|fields:${receiptV2FieldsDigest(receipt)}`;
}

/**
 * A manifest content digest (§7.3.1): lowercase hex SHA-256 of Python's default-separator
 * (`", "`, `": "`) sorted JSON. Not the compact form the receipt v2 digest uses.
 */
export function manifestDigest(value: unknown): string {
  return sha256Hex(pyJsonDumps(value, "python_default"));
}

/**
 * Manifest, five fields (§7.3.2), with the spec's defaults for absent keys:
 * `capabilities_count:…|generated_at:…|protocol_version:…|tools_hash:…|by_hub_hash:…`.
 */
export function canonicalManifest(manifest: AimpManifestCanonicalFields): string {
  // An absent by_hub hashes as {}; a present one is hashed as it is, even null.
  const byHub = manifest.by_hub === undefined ? {} : manifest.by_hub;
  return [
    `capabilities_count:${pyNumberText(manifest.capabilities_count ?? 0)}`,
    `generated_at:${manifest.generated_at ?? ""}`,
    `protocol_version:${manifest.protocol_version ?? "v1"}`,
    `tools_hash:${manifestDigest(manifest.tools ?? [])}`,
    `by_hub_hash:${manifestDigest(byHub)}`,
  ].join("|");
}

/**
 * Federation announce, three fields (§7.3.5):
 * `hub_url:…|well_known_url:…|capabilities_count:…`. No nonce or timestamp: replayable.
 */
export function canonicalAnnounce(announce: AimpAnnounceCanonicalFields): string {
  return [
    `hub_url:${announce.hub_url}`,
    `well_known_url:${announce.well_known_url}`,
    `capabilities_count:${pyNumberText(announce.capabilities_count ?? 0)}`,
  ].join("|");
}
