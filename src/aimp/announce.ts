/**
 * Federation announces (spec §7.3.5): three fields, no nonce, no timestamp. Replayable by
 * design, so a valid announce proves only that the key holder once said it: it may put a
 * peer in `pending`, never admit one (spec §2.4).
 */
import type { KeyObject } from "node:crypto";
import { assert } from "../kernel/assert.ts";
import { canonicalAnnounce } from "./canonical.ts";
import { publicKeyToBase64, signCanonical, verifyCanonical } from "./keys.ts";
import type {
  AimpAnnounce,
  AimpAnnounceCanonicalFields,
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

/** A signed announce always names its signer. */
export type SignedAnnounce<T> = Signed<T & { signer_public_key: string }>;

/** Signs an announce and sets `signer_public_key` to the signing key's public half. */
export function signAnnounce<T extends AimpAnnounce>(
  announce: T,
  privateKey: KeyObject,
): SignedAnnounce<T> {
  const body = withoutSignature(announce);
  const signer = publicKeyToBase64(privateKey);
  assert(
    body.signer_public_key === undefined || body.signer_public_key === signer,
    "signer_public_key names a different key than the one signing",
  );
  const fields = readForSigning(() => readAnnounceFields(body as Record<string, unknown>));
  assertNoSeparator({ hub_url: fields.hub_url, well_known_url: fields.well_known_url });
  const value = signCanonical(canonicalAnnounce(fields), privateKey);
  const signature = { algorithm: "ed25519", value } as const;
  return { ...body, signer_public_key: signer, signature } as SignedAnnounce<T>;
}

/**
 * Verifies an announce, parsed or as JSON text. When it names a `signer_public_key`, that key
 * must be the verifier's: check an announce against its own named key only to learn who said
 * it, nothing more.
 */
export function verifyAnnounce(signed: unknown, publicKey: KeyObject | string): AimpVerifyResult {
  return guarded(() => {
    const doc = requireObject(signed);
    const block = readSignatureBlock(doc);
    if (block.version !== 1) {
      throw new Refusal("unsupported_version", "announces have one canonical");
    }
    const named = own(doc, "signer_public_key");
    if (named !== undefined && typeof named !== "string") {
      throw new Refusal("malformed_field", "signer_public_key must be a string");
    }
    const key = requireKey(publicKey, [named, block.public_key]);
    if (!verifyCanonical(canonicalAnnounce(readAnnounceFields(doc)), block.signature, key)) {
      throw new Refusal("bad_signature", "the signature does not match the announce");
    }
    return { valid: true } as const;
  });
}

function readAnnounceFields(doc: Record<string, unknown>): Required<AimpAnnounceCanonicalFields> {
  return {
    hub_url: readString(doc, "hub_url"),
    well_known_url: readString(doc, "well_known_url"),
    capabilities_count: readInteger(doc, "capabilities_count", 0),
  };
}
