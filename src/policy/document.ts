import { escapePointer, findDuplicateJsonKey } from "./json-strict.ts";
import { policyLimits } from "./limits.ts";
import type { PeacTxtFailure } from "./model.ts";
import { policyFailure } from "./problems.ts";
import { readSafeYaml } from "./yaml-safe.ts";

/** A document read into plain values, before any field is validated. */
export interface PolicyDocument {
  ok: true;
  value: Record<string, unknown>;
  syntax: "json" | "yaml";
}

function tooLarge(message: string, pointer?: string): PeacTxtFailure {
  return policyFailure("POLICY_TOO_LARGE", message, pointer);
}

/** Enforces the array, string and depth limits on parsed values (JSON and YAML alike). */
function checkLimits(value: unknown, pointer: string, depth: number): PeacTxtFailure | null {
  if (typeof value === "string") {
    return Buffer.byteLength(value, "utf8") > policyLimits.string_bytes_max
      ? tooLarge(`A string is longer than ${policyLimits.string_bytes_max} bytes`, pointer)
      : null;
  }
  if (value === null || typeof value !== "object") return null;
  if (depth > policyLimits.depth_max) {
    return tooLarge(`Nesting is deeper than ${policyLimits.depth_max} levels`, pointer);
  }
  if (Array.isArray(value)) {
    if (value.length > policyLimits.array_items_max) {
      const message = `A list has more than ${policyLimits.array_items_max} items`;
      return tooLarge(message, pointer);
    }
    for (const [i, item] of value.entries()) {
      const over = checkLimits(item, `${pointer}/${i}`, depth + 1);
      if (over !== null) return over;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const child = `${pointer}/${escapePointer(key)}`;
    const over = checkLimits(key, child, depth) ?? checkLimits(item, child, depth + 1);
    if (over !== null) return over;
  }
  return null;
}

function readStrictJson(text: string): { ok: true; value: unknown } | PeacTxtFailure {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return policyFailure("POLICY_INVALID", `Not valid JSON: ${reason}`);
  }
  const duplicate = findDuplicateJsonKey(text);
  if (duplicate !== null) {
    return policyFailure("POLICY_INVALID", "Duplicate keys are not allowed", duplicate);
  }
  return { ok: true, value };
}

function isJsonContentType(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().includes("application/json") === true;
}

/**
 * Reads peac.txt text into a mapping: JSON when the content type says so or the text starts
 * with `{`, otherwise restricted YAML; then the size limits of PEAC-TXT.md §6.
 */
export function readPolicyDocument(
  text: string,
  contentType?: string,
): PolicyDocument | PeacTxtFailure {
  // Every UTF-16 unit is at least one UTF-8 byte, so a long string is too large unmeasured.
  if (
    text.length > policyLimits.document_bytes_max ||
    Buffer.byteLength(text, "utf8") > policyLimits.document_bytes_max
  ) {
    return tooLarge(`The policy is larger than ${policyLimits.document_bytes_max} bytes`);
  }
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const asJson = isJsonContentType(contentType) || body.trimStart().startsWith("{");
  const read = asJson ? readStrictJson(body) : readSafeYaml(body);
  if (!read.ok) return read;
  const over = checkLimits(read.value, "", 1);
  if (over !== null) return over;
  const value = read.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return policyFailure("POLICY_INVALID", "The policy must be a mapping of fields");
  }
  return { ok: true, value: value as Record<string, unknown>, syntax: asJson ? "json" : "yaml" };
}
