/**
 * The peac.txt vocabulary. Two incompatible formats are read into one `PeacPolicy`:
 * upstream `peac-policy/0.1` (PEAC-TXT.md) and the seed's wire 0.9.14 profile.
 * Policies are plain values: parsing is pure, so a replay parses the same text the same way and
 * concurrent use needs no care.
 */
import type { PolicyProblemCode, UpstreamPolicyError } from "./problems.ts";

/** The format a document was read as. */
export type PolicyFormat = "peac-policy/0.1" | "seed-0.9.14";

/** Every format this module reads. */
export const policyFormats: readonly PolicyFormat[] = ["peac-policy/0.1", "seed-0.9.14"];

/** `open`: allowed by default; `conditional`: allowed on the policy's terms (payment, receipts). */
export type PolicyUsage = "open" | "conditional";

/** Whether a receipt must accompany access. */
export type ReceiptRequirement = "required" | "optional" | "omit";

/** Whether the user of the content must attribute it. */
export type AttributionRequirement = "required" | "optional" | "none";

/** The unit of a rate-limit window. */
export type RatePeriod = "second" | "minute" | "hour" | "day";

/** How many requests a window allows. */
export type RateLimit =
  | { kind: "unlimited" }
  | { kind: "window"; count: number; period: RatePeriod; window_ms: number };

/**
 * A price per request, exact: `amount_minor` units of 10^-`decimals` of `currency`.
 * "$0.001/request" is `{ amount: "0.001", amount_minor: 1n, decimals: 3, currency: "USD" }`.
 */
export interface PolicyPrice {
  /** The same value as a decimal string with exactly `decimals` fractional digits. */
  amount: string;
  amount_minor: bigint;
  decimals: number;
  /** ISO 4217 code; null when the document named none. */
  currency: string | null;
  per: "request";
}

/** How long the publisher asks that data be kept. */
export interface DataRetention {
  /** The ISO-8601 duration as written ("P30D"). */
  iso: string;
  /** Its length; null when it counts years or months, whose length varies. */
  ms: number | null;
}

/** The normalised policy that enforcement reads, whatever format it came from. */
export interface PeacPolicy {
  format: PolicyFormat;
  /** The `version` field as written ("peac-policy/0.1", "0.9.14"). */
  version: string;
  usage: PolicyUsage;
  /** Purposes the publisher allows; null when the document lists none (no restriction). */
  purposes_allowed: string[] | null;
  /**
   * Always empty today: neither format can name prohibited purposes. Kept so enforcement reads
   * one shape when a later format can.
   */
  purposes_prohibited: string[];
  /** Declared, or by usage when absent: required for `conditional`, optional for `open`. */
  receipts: ReceiptRequirement;
  /** `none` when absent. `format` is the seed's `attribution_format` template. */
  attribution: { requirement: AttributionRequirement; format: string | null };
  /** Null when absent (no limit declared). */
  rate_limit: RateLimit | null;
  daily_limit: number | null;
  price: PolicyPrice | null;
  /** Requests free of charge before the price applies (seed only). */
  free_quota: number | null;
  payment_methods: string[];
  /** http(s) URLs only; a declared value that is not one becomes null with a warning. */
  payment_endpoint: string | null;
  negotiate: string | null;
  privacy_policy: string | null;
  contact: string | null;
  license: string | null;
  consent: string | null;
  data_retention: DataRetention | null;
  /** The recognised fields exactly as the document declared them; unknown fields left out. */
  declared: Record<string, unknown>;
  /** The whole document as parsed, unknown fields included. */
  raw: Record<string, unknown>;
}

/** Something allowed but worth a look: `{code, message, pointer}` as upstream reports warnings. */
export interface PolicyWarning {
  code:
    | "unknown_field"
    | "version_minor_newer"
    | "price_without_currency"
    | "url_not_http"
    | "public_keys_ignored";
  message: string;
  /** JSON pointer (RFC 6901) of the field concerned. */
  pointer: string;
}

/** A document that parsed and validated. */
export interface PeacTxtSuccess {
  ok: true;
  format: PolicyFormat;
  policy: PeacPolicy;
  warnings: PolicyWarning[];
}

/** The codes a document (as opposed to a fetch) can fail with. */
export type PolicyDocumentProblemCode = Extract<
  PolicyProblemCode,
  "POLICY_INVALID" | "POLICY_TOO_LARGE" | "POLICY_YAML_UNSAFE" | "POLICY_MULTI_DOCUMENT"
>;

/** A document that was rejected, with our code, the upstream name and the place. */
export interface PeacTxtFailure {
  ok: false;
  code: PolicyDocumentProblemCode;
  upstream_code: UpstreamPolicyError;
  message: string;
  /** JSON pointer of the offending field, when there is one. */
  pointer?: string;
}

/** The outcome of parsing a peac.txt. */
export type PeacTxtResult = PeacTxtSuccess | PeacTxtFailure;

/** How to read a document. */
export interface ParsePeacTxtOptions {
  /** The response Content-Type; `application/json` forces JSON (PEAC-TXT.md §5.1). */
  content_type?: string;
  /** Formats to accept; both by default. Pass one to pin a profile. */
  formats?: readonly PolicyFormat[];
}
