import { readPolicyDocument } from "./document.ts";
import { type Fields, PolicyFieldError } from "./fields.ts";
import { policyLimits } from "./limits.ts";
import {
  type ParsePeacTxtOptions,
  type PeacPolicy,
  type PeacTxtResult,
  type PolicyFormat,
  type PolicyWarning,
  policyFormats,
} from "./model.ts";
import { policyFailure } from "./problems.ts";
import { SEED_VERSION, validateSeed0914 } from "./seed.ts";
import { validatePolicyV01 } from "./upstream.ts";

function versionError(version: unknown, formats: readonly PolicyFormat[]): PolicyFieldError {
  const shown = JSON.stringify(String(version));
  const upstream = formats.includes("peac-policy/0.1");
  const seed = formats.includes("seed-0.9.14");
  const rule = upstream
    ? `Must start with "peac-policy/"${seed ? ` (or be the seed profile "${SEED_VERSION}")` : ""}`
    : `Must be "${SEED_VERSION}"`;
  return new PolicyFieldError(`Invalid version format: ${shown}. ${rule}`, "/version");
}

/** Picks the format by `version` and validates the fields by its rules. */
function validateFields(
  doc: Fields,
  formats: readonly PolicyFormat[],
  warnings: PolicyWarning[],
): PeacPolicy {
  const version = doc.version;
  if (version === undefined || version === null) {
    throw new PolicyFieldError("Missing required field: version", "/version");
  }
  const isUpstream = typeof version === "string" && version.startsWith("peac-policy/");
  if (isUpstream && formats.includes("peac-policy/0.1")) {
    return validatePolicyV01(doc, version, warnings);
  }
  if (version === SEED_VERSION && formats.includes("seed-0.9.14")) {
    return validateSeed0914(doc, warnings);
  }
  throw versionError(version, formats);
}

/**
 * Parses and validates a peac.txt (upstream `peac-policy/0.1` or the seed's 0.9.14 profile)
 * into one normalised policy. Never throws for bad input: failures carry our code, the upstream
 * E_* name, a message and, when a field is at fault, its JSON pointer.
 */
export function parsePeacTxt(text: string, options: ParsePeacTxtOptions = {}): PeacTxtResult {
  const read = readPolicyDocument(text, options.content_type);
  if (!read.ok) return read;
  const formats = options.formats ?? policyFormats;
  const warnings: PolicyWarning[] = [];
  try {
    const policy = validateFields(read.value, formats, warnings);
    return { ok: true, format: policy.format, policy, warnings };
  } catch (error) {
    if (!(error instanceof PolicyFieldError)) throw error;
    return policyFailure("POLICY_INVALID", error.message, error.pointer);
  }
}

/**
 * Parses peac.txt bytes: the size limit is checked on the bytes, and text that is not UTF-8
 * is rejected (PEAC-TXT.md §5.2) instead of being read with replacement characters.
 */
export function parsePeacTxtBytes(
  bytes: Uint8Array,
  options: ParsePeacTxtOptions = {},
): PeacTxtResult {
  if (bytes.byteLength > policyLimits.document_bytes_max) {
    const message = `The policy is larger than ${policyLimits.document_bytes_max} bytes`;
    return policyFailure("POLICY_TOO_LARGE", message);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return policyFailure("POLICY_INVALID", "The policy is not valid UTF-8");
  }
  return parsePeacTxt(text, options);
}
