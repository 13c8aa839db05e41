import { escapePointer } from "./json-strict.ts";
import { policyLimits } from "./limits.ts";
import type { DataRetention, PolicyWarning, RateLimit, RatePeriod } from "./model.ts";

/** A field that breaks a rule. Thrown inside validation only; the parser returns a failure. */
export class PolicyFieldError extends Error {
  override name = "PolicyFieldError";
  readonly pointer: string;

  constructor(message: string, pointer: string) {
    super(message);
    this.pointer = pointer;
  }
}

/** A document's top-level fields. */
export type Fields = Readonly<Record<string, unknown>>;

const pointerOf = (key: string) => `/${escapePointer(key)}`;

/** An optional field's value; absent and null (`key:` with nothing after it) are both none. */
export function optionalField(doc: Fields, key: string): unknown {
  const value = Object.hasOwn(doc, key) ? doc[key] : undefined;
  return value === null ? undefined : value;
}

/** One of `values`, or undefined when absent. */
export function readEnum<T extends string>(
  doc: Fields,
  key: string,
  values: readonly T[],
): T | undefined {
  const value = optionalField(doc, key);
  if (value === undefined) return undefined;
  if (typeof value === "string" && (values as readonly string[]).includes(value)) return value as T;
  throw new PolicyFieldError(
    `Invalid field: ${key} must be one of ${values.join(", ")}`,
    pointerOf(key),
  );
}

/** A non-empty string, or undefined when absent. Numbers are not coerced. */
export function readString(doc: Fields, key: string): string | undefined {
  const value = optionalField(doc, key);
  if (value === undefined) return undefined;
  if (typeof value === "string" && value.trim() !== "") return value;
  throw new PolicyFieldError(`Invalid field: ${key} must be a non-empty string`, pointerOf(key));
}

/** A list of non-empty strings; a lone string counts as a list of one when `acceptSingle`. */
export function readStringList(
  doc: Fields,
  key: string,
  options: { acceptSingle: boolean },
): string[] | undefined {
  const value = optionalField(doc, key);
  if (value === undefined) return undefined;
  if (options.acceptSingle && typeof value === "string" && value.trim() !== "") return [value];
  if (!Array.isArray(value)) {
    throw new PolicyFieldError(`Invalid field: ${key} must be a list of strings`, pointerOf(key));
  }
  return value.map((item: unknown, i) => {
    if (typeof item === "string" && item.trim() !== "") return item;
    const message = `Invalid field: ${key} must hold non-empty strings`;
    throw new PolicyFieldError(message, `${pointerOf(key)}/${i}`);
  });
}

/** A count: a whole number from 0 up, never a float or a numeric string. */
export function readCount(doc: Fields, key: string): number | undefined {
  const value = optionalField(doc, key);
  if (value === undefined) return undefined;
  const exact = typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
  if (exact && String(value).length <= policyLimits.count_digits_max) return value;
  throw new PolicyFieldError(`Invalid field: ${key} must be a whole number ≥ 0`, pointerOf(key));
}

/** An ISO 4217 code: three upper-case letters. */
export function readCurrency(doc: Fields): string | undefined {
  const value = optionalField(doc, "currency");
  if (value === undefined) return undefined;
  if (typeof value === "string" && /^[A-Z]{3}$/.test(value)) return value;
  throw new PolicyFieldError("Invalid field: currency must be an ISO 4217 code", "/currency");
}

/** Upstream's well-known purposes (PEAC-TXT.md §3.4). */
export const wellKnownPurposes = [
  "crawl",
  "index",
  "train",
  "inference",
  "ai_input",
  "ai_index",
  "search",
  "user_action",
] as const;

const CUSTOM_PURPOSE = /^[a-z][a-z0-9_]*(?::[a-z][a-z0-9_]*)?$/;

/** Purpose tokens: well-known ones, or custom tokens matching the upstream grammar. */
export function readPurposes(doc: Fields): string[] | undefined {
  const purposes = readStringList(doc, "purposes", { acceptSingle: false });
  purposes?.forEach((token, i) => {
    if ((wellKnownPurposes as readonly string[]).includes(token) || CUSTOM_PURPOSE.test(token)) {
      return;
    }
    const message = `Invalid purpose token: ${JSON.stringify(token)}`;
    throw new PolicyFieldError(message, `/purposes/${i}`);
  });
  return purposes;
}

const PERIOD_MS: Readonly<Record<RatePeriod, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** Reads the `unlimited` | `<n>/(second|minute|hour|day)` grammar (PEAC-TXT.md §7.3). */
export function parseRateLimit(text: string): RateLimit | null {
  if (text === "unlimited") return { kind: "unlimited" };
  const match = /^(\d+)\/(second|minute|hour|day)$/.exec(text);
  const [, digits = "", period] = match ?? [];
  if (period === undefined || digits.length > policyLimits.count_digits_max) return null;
  const unit = period as RatePeriod;
  return { kind: "window", count: Number(digits), period: unit, window_ms: PERIOD_MS[unit] };
}

/** The rate limit field, or undefined when absent. */
export function readRateLimit(doc: Fields): RateLimit | undefined {
  const value = optionalField(doc, "rate_limit");
  if (value === undefined) return undefined;
  const limit = typeof value === "string" ? parseRateLimit(value) : null;
  if (limit !== null) return limit;
  const message = 'Invalid field: rate_limit must be "unlimited" or <n>/(second|minute|hour|day)';
  throw new PolicyFieldError(message, "/rate_limit");
}

/**
 * A URL field. Upstream only asks for a string, so a value that is not an absolute http(s)
 * URL is kept in `declared` but not handed to enforcement, with a warning.
 */
export function readUrl(doc: Fields, key: string, warnings: PolicyWarning[]): string | null {
  const text = readString(doc, key);
  if (text === undefined) return null;
  const url = URL.canParse(text) ? new URL(text) : null;
  if (url !== null && (url.protocol === "https:" || url.protocol === "http:")) return text;
  const message = `${key} is not an http(s) URL and is ignored`;
  warnings.push({ code: "url_not_http", message, pointer: pointerOf(key) });
  return null;
}

// P[nY][nM][nW][nD][T[nH][nM][nS]], at least one part, a T only before a time part.
const DURATION = new RegExp(
  "^P(?!$)(?:(\\d{1,6})Y)?(?:(\\d{1,6})M)?(?:(\\d{1,6})W)?(?:(\\d{1,6})D)?" +
    "(?:T(?=\\d)(?:(\\d{1,6})H)?(?:(\\d{1,6})M)?(?:(\\d{1,6})S)?)?$",
);

/** Reads an ISO-8601 duration ("P30D", "PT12H"); null when it is not one. */
export function parseDuration(text: string): DataRetention | null {
  const match = DURATION.exec(text);
  if (match === null) return null;
  const [years, months, weeks, days, hours, minutes, seconds] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  if ((years ?? 0) > 0 || (months ?? 0) > 0) return { iso: text, ms: null };
  const ms =
    (weeks ?? 0) * 604_800_000 +
    (days ?? 0) * PERIOD_MS.day +
    (hours ?? 0) * PERIOD_MS.hour +
    (minutes ?? 0) * PERIOD_MS.minute +
    (seconds ?? 0) * PERIOD_MS.second;
  return { iso: text, ms };
}

/** The recognised fields a document declared, as written. */
export function pickDeclared(doc: Fields, known: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of known) if (Object.hasOwn(doc, key)) out[key] = doc[key];
  return out;
}

/** Warns about fields this reader does not know; they are ignored, never an error. */
export function warnUnknownFields(
  doc: Fields,
  known: readonly string[],
  warnings: PolicyWarning[],
): void {
  for (const key of Object.keys(doc)) {
    if (known.includes(key)) continue;
    const message = `Unknown field ${JSON.stringify(key)} is ignored`;
    warnings.push({ code: "unknown_field", message, pointer: pointerOf(key) });
  }
}
