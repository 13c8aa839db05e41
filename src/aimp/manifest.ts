/**
 * Capability manifests (spec §7.3.2): five fields, two of them digests, so every price in
 * `tools[]` and every peer's trust_score in `by_hub` is inside the signature.
 * To verify a manifest a Python hub wrote, pass verifyManifest the JSON text itself (or
 * parsePyJson output): JSON.parse turns an integral float such as `"trust_score": 1.0` into 1,
 * which hashes as `1` and cannot match.
 */
import type { KeyObject } from "node:crypto";
import { canonicalManifest } from "./canonical.ts";
import { publicKeyToBase64, signCanonical, verifyCanonical } from "./keys.ts";
import type {
  AimpManifest,
  AimpManifestCanonicalFields,
  AimpVerifyResult,
  Signed,
} from "./model.ts";
import {
  assertNoSeparator,
  guarded,
  own,
  Refusal,
  readForSigning,
  readInteger,
  readSignatureBlock,
  readString,
  requireKey,
  requireObject,
  withoutSignature,
} from "./verify.ts";

/** Signs a manifest; the signature block names the signer's public key, as upstream's do. */
export function signManifest<T extends AimpManifest>(
  manifest: T,
  privateKey: KeyObject,
): Signed<T> {
  const body = withoutSignature(manifest);
  const fields = readForSigning(() => readManifestFields(body as Record<string, unknown>));
  assertNoSeparator({
    generated_at: fields.generated_at,
    protocol_version: fields.protocol_version,
  });
  const canonical = canonicalManifest(fields);
  const signature = {
    algorithm: "ed25519",
    public_key: publicKeyToBase64(privateKey),
    value: signCanonical(canonical, privateKey),
  } as const;
  return { ...body, signature } as Signed<T>;
}

/** Verifies a manifest, parsed or as JSON text, against its signer's key. */
export function verifyManifest(signed: unknown, publicKey: KeyObject | string): AimpVerifyResult {
  return guarded(() => {
    const doc = requireObject(signed);
    const block = readSignatureBlock(doc);
    if (block.version !== 1) {
      throw new Refusal("unsupported_version", "manifests have one canonical");
    }
    const key = requireKey(publicKey, [block.public_key]);
    const canonical = canonicalManifest(readManifestFields(doc));
    if (!verifyCanonical(canonical, block.signature, key)) {
      throw new Refusal("bad_signature", "the signature does not match the manifest");
    }
    return { valid: true } as const;
  });
}

type ManifestFields = Required<Omit<AimpManifestCanonicalFields, "by_hub">> & { by_hub: unknown };

function readManifestFields(doc: Record<string, unknown>): ManifestFields {
  const tools = own(doc, "tools") ?? [];
  if (!Array.isArray(tools)) throw new Refusal("malformed_field", "tools must be an array");
  const byHub = own(doc, "by_hub");
  return {
    capabilities_count: readInteger(doc, "capabilities_count", 0),
    generated_at: readString(doc, "generated_at", ""),
    protocol_version: readString(doc, "protocol_version", "v1"),
    tools,
    // Absent hashes as {}; present is hashed as it is (spec §7.3.2).
    by_hub: byHub === undefined ? {} : byHub,
  };
}
