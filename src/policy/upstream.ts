import {
  type Fields,
  optionalField,
  PolicyFieldError,
  pickDeclared,
  readCount,
  readCurrency,
  readEnum,
  readPurposes,
  readRateLimit,
  readString,
  readStringList,
  readUrl,
  warnUnknownFields,
} from "./fields.ts";
import type { PeacPolicy, PolicyUsage, PolicyWarning, ReceiptRequirement } from "./model.ts";
import { priceFromMinor } from "./price.ts";

/** The fields of `peac-policy/0.1` (PEAC-TXT.md §3.1); anything else is ignored. */
export const policyV01Fields = [
  "version",
  "usage",
  "purposes",
  "receipts",
  "attribution",
  "rate_limit",
  "daily_limit",
  "price",
  "currency",
  "payment_methods",
  "payment_endpoint",
  "negotiate",
  "contact",
  "license",
] as const;

const USAGES: readonly PolicyUsage[] = ["open", "conditional"];
const RECEIPTS: readonly ReceiptRequirement[] = ["required", "optional", "omit"];
const ATTRIBUTIONS = ["required", "optional", "none"] as const;

/** `usage` is required in both formats, with upstream's wording when it is wrong. */
export function readUsage(doc: Fields): PolicyUsage {
  const value = optionalField(doc, "usage");
  if (typeof value === "string" && (USAGES as readonly string[]).includes(value)) {
    return value as PolicyUsage;
  }
  throw new PolicyFieldError("Missing or invalid field: usage", "/usage");
}

/** PEAC-TXT.md §3.3: conditional access typically requires receipts, open access does not. */
export function defaultReceipts(usage: PolicyUsage): ReceiptRequirement {
  return usage === "conditional" ? "required" : "optional";
}

/**
 * Checks `peac-policy/<major>.<minor>`: major 0 only, minor 1 or newer (newer with a warning,
 * as §3.2 allows when every invariant holds).
 */
export function checkPolicyVersion(version: string, warnings: PolicyWarning[]): void {
  const match = /^peac-policy\/(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.exec(version);
  if (match === null) {
    const shown = JSON.stringify(version);
    const message = `Invalid version format: ${shown}. Expected peac-policy/<major>.<minor>`;
    throw new PolicyFieldError(message, "/version");
  }
  const [, major, minor] = match;
  if (major !== "0" || minor === "0") {
    const message = `Unsupported policy version: ${JSON.stringify(version)}; this reader knows 0.1`;
    throw new PolicyFieldError(message, "/version");
  }
  if (minor !== "1") {
    const message = `Version ${version} is newer than 0.1; read with the 0.1 rules`;
    warnings.push({ code: "version_minor_newer", message, pointer: "/version" });
  }
}

function readMinorPrice(doc: Fields): bigint | null {
  const value = optionalField(doc, "price");
  if (value === undefined) return null;
  // Minor units are whole by definition; a fraction here would be a float near money.
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  const message = "Invalid field: price must be a whole, non-negative number of minor units";
  throw new PolicyFieldError(message, "/price");
}

/** Validates a `peac-policy/0.1` document and normalises it. */
export function validatePolicyV01(
  doc: Fields,
  version: string,
  warnings: PolicyWarning[],
): PeacPolicy {
  checkPolicyVersion(version, warnings);
  const usage = readUsage(doc);
  const currency = readCurrency(doc) ?? null;
  const amountMinor = readMinorPrice(doc);
  if (amountMinor !== null && currency === null) {
    const message = "price has no currency; it is read as bare minor units";
    warnings.push({ code: "price_without_currency", message, pointer: "/price" });
  }
  warnUnknownFields(doc, policyV01Fields, warnings);
  return {
    format: "peac-policy/0.1",
    version,
    usage,
    purposes_allowed: readPurposes(doc) ?? null,
    purposes_prohibited: [],
    receipts: readEnum(doc, "receipts", RECEIPTS) ?? defaultReceipts(usage),
    attribution: {
      requirement: readEnum(doc, "attribution", ATTRIBUTIONS) ?? "none",
      format: null,
    },
    rate_limit: readRateLimit(doc) ?? null,
    daily_limit: readCount(doc, "daily_limit") ?? null,
    price: amountMinor === null ? null : priceFromMinor(amountMinor, currency),
    free_quota: null,
    payment_methods: readStringList(doc, "payment_methods", { acceptSingle: true }) ?? [],
    payment_endpoint: readUrl(doc, "payment_endpoint", warnings),
    negotiate: readUrl(doc, "negotiate", warnings),
    privacy_policy: null,
    contact: readString(doc, "contact") ?? null,
    license: readString(doc, "license") ?? null,
    consent: null,
    data_retention: null,
    declared: pickDeclared(doc, policyV01Fields),
    raw: { ...doc },
  };
}
