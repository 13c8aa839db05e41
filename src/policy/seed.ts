import {
  type Fields,
  optionalField,
  PolicyFieldError,
  parseDuration,
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
import type { DataRetention, PeacPolicy, PolicyWarning } from "./model.ts";
import { parseSeedPrice } from "./price.ts";
import { defaultReceipts, readUsage } from "./upstream.ts";

/** The `version` value of the seed profile. */
export const SEED_VERSION = "0.9.14";

/** The fields of the seed's wire 0.9.14 peac.txt (its example plus the ABNF's public_keys). */
export const seedFields = [
  "version",
  "usage",
  "price",
  "currency",
  "payment_methods",
  "attribution",
  "attribution_format",
  "consent",
  "privacy_policy",
  "data_retention",
  "purposes",
  "rate_limit",
  "free_quota",
  "negotiate",
  "public_keys",
] as const;

const ATTRIBUTIONS = ["required", "optional", "none"] as const;

function readRetention(doc: Fields): DataRetention | null {
  const text = readString(doc, "data_retention");
  if (text === undefined) return null;
  const retention = parseDuration(text);
  if (retention !== null) return retention;
  const message = "Invalid field: data_retention must be an ISO-8601 duration such as P30D";
  throw new PolicyFieldError(message, "/data_retention");
}

// Upstream does not treat peac.txt as a key source; keys come from the issuer's JWKS.
function checkPublicKeys(doc: Fields, warnings: PolicyWarning[]): void {
  const keys = optionalField(doc, "public_keys");
  if (keys === undefined) return;
  if (!Array.isArray(keys)) {
    throw new PolicyFieldError("Invalid field: public_keys must be a list", "/public_keys");
  }
  const message = "public_keys in peac.txt are not trusted; keys come from the issuer's JWKS";
  warnings.push({ code: "public_keys_ignored", message, pointer: "/public_keys" });
}

/** Validates a seed wire 0.9.14 document and normalises it. */
export function validateSeed0914(doc: Fields, warnings: PolicyWarning[]): PeacPolicy {
  const usage = readUsage(doc);
  const currency = readCurrency(doc) ?? null;
  const priceText = readString(doc, "price");
  const price = priceText === undefined ? null : parseSeedPrice(priceText, currency);
  if (price !== null && price.currency === null) {
    const message = "price names no currency (no symbol, no currency field)";
    warnings.push({ code: "price_without_currency", message, pointer: "/price" });
  }
  checkPublicKeys(doc, warnings);
  warnUnknownFields(doc, seedFields, warnings);
  return {
    format: "seed-0.9.14",
    version: SEED_VERSION,
    usage,
    purposes_allowed: readPurposes(doc) ?? null,
    purposes_prohibited: [],
    receipts: defaultReceipts(usage),
    attribution: {
      requirement: readEnum(doc, "attribution", ATTRIBUTIONS) ?? "none",
      format: readString(doc, "attribution_format") ?? null,
    },
    rate_limit: readRateLimit(doc) ?? null,
    daily_limit: null,
    price,
    free_quota: readCount(doc, "free_quota") ?? null,
    payment_methods: readStringList(doc, "payment_methods", { acceptSingle: true }) ?? [],
    payment_endpoint: null,
    negotiate: readUrl(doc, "negotiate", warnings),
    privacy_policy: readUrl(doc, "privacy_policy", warnings),
    contact: null,
    license: null,
    consent: readString(doc, "consent") ?? null,
    data_retention: readRetention(doc),
    declared: pickDeclared(doc, seedFields),
    raw: { ...doc },
  };
}
