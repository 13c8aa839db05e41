import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";

/** The JWS type the hub signs a pipeline's bill of materials with. */
export const BOM_TYP = "agx-bom+jwt";

export type BomCheck =
  | { valid: true; kid: string; steps: number }
  | { valid: false; code: string; reason: string };

/** JSON with object keys sorted, so two equal documents compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Checks a pipeline's bill of materials offline: `signature` is a compact JWS (EdDSA, typ
 * `agx-bom+jwt`) by one of the hub's published keys, over exactly the other fields shown.
 * A field changed, added or removed after signing makes it invalid.
 */
export async function verifyBillOfMaterials(
  bom: Record<string, unknown>,
  jwks: JSONWebKeySet,
): Promise<BomCheck> {
  const { signature, ...shown } = bom;
  if (typeof signature !== "string") {
    return { valid: false, code: "BOM_UNSIGNED", reason: "no signature" };
  }
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(signature, createLocalJWKSet(jwks), { algorithms: ["EdDSA"] });
  } catch (error) {
    return { valid: false, code: "BOM_SIGNATURE_INVALID", reason: (error as Error).message };
  }
  if (verified.protectedHeader.typ !== BOM_TYP) {
    return {
      valid: false,
      code: "BOM_TYPE_INVALID",
      reason: `typ ${verified.protectedHeader.typ}`,
    };
  }
  let signed: unknown;
  try {
    signed = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch {
    return { valid: false, code: "BOM_SIGNATURE_INVALID", reason: "the payload is not JSON" };
  }
  if (canonical(signed) !== canonical(shown)) {
    return { valid: false, code: "BOM_ALTERED", reason: "the shown fields differ from the signed" };
  }
  const steps = (shown as { steps?: unknown[] }).steps;
  return {
    valid: true,
    kid: String(verified.protectedHeader.kid ?? ""),
    steps: Array.isArray(steps) ? steps.length : 0,
  };
}
