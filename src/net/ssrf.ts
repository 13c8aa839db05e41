import { lookup } from "node:dns/promises";
import { assert } from "../kernel/assert.ts";
import { Problem } from "../kernel/problem.ts";
import {
  type AddressRange,
  classifyAddress,
  formatIPv4,
  isRangeAllowed,
  parseIpLiteral,
} from "./address.ts";
import { netProblems } from "./problems.ts";
import { fetchOnce, REDIRECT_STATUSES } from "./request.ts";

/** Bounds of outbound requests. Candidates for kernel/limits.ts. */
export const netLimits = {
  /** Redirects a guarded fetch follows, each re-checked, before it gives up. */
  redirects_max: 3,
} as const;

/** What an outbound request may reach beyond public https hosts. */
export interface OutboundOptions {
  /** Host names or IP literals whose non-public addresses may be reached (exact match). */
  allowHosts?: readonly string[];
  /** Reach loopback, RFC 1918, link-local, CGNAT and unique-local addresses (never metadata). */
  allowPrivate?: boolean;
  /** Permit plain http:// to any host; without it only an allowed localhost may use http. */
  allowHttp?: boolean;
}

/** One address a host name resolved to, with its range. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
  range: AddressRange;
}

/** A URL that passed the guard, with the addresses a connection may use. */
export interface OutboundTarget {
  url: URL;
  /** Lower case, without brackets or a trailing dot. */
  hostname: string;
  addresses: readonly ResolvedAddress[];
}

/** Why a URL was refused; carried as the `reason` extension of NET_URL_BLOCKED. */
export type BlockReason = "url_invalid" | "scheme" | "credentials" | "https_required" | "address";

function blocked(reason: BlockReason, detail: string, extra: Record<string, unknown> = {}) {
  return new Problem(netProblems.NET_URL_BLOCKED, detail, { extensions: { reason, ...extra } });
}

/** Host text as compared against the allow-list: canonical IP form, lower case, no dot. */
export function normaliseHost(host: string): string {
  const bare = host
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
  try {
    const hostname = new URL(`http://${bare.includes(":") ? `[${bare}]` : bare}/`).hostname;
    return hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  } catch {
    return bare;
  }
}

function parseOutboundUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(typeof input === "string" ? input : input.href);
  } catch {
    throw blocked("url_invalid", "The URL is not a valid absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw blocked("scheme", `The scheme ${url.protocol} is not allowed; use https://`);
  }
  // Credentials in a URL leak to every hop and hide the real host from a quick reading.
  if (url.username !== "" || url.password !== "") {
    throw blocked("credentials", "URLs with user names or passwords are not allowed");
  }
  return url;
}

async function resolveHost(hostname: string): Promise<ResolvedAddress[]> {
  const literal = parseIpLiteral(hostname);
  if (literal !== null) {
    const address = literal.family === 4 ? formatIPv4(literal.value) : hostname;
    return [{ address, family: literal.family, range: classifyAddress(hostname) ?? "reserved" }];
  }
  let found: { address: string; family: number }[];
  try {
    found = await lookup(hostname, { all: true, verbatim: true });
  } catch (error) {
    throw new Problem(netProblems.NET_FETCH_FAILED, "The host name could not be resolved", {
      cause: error,
    });
  }
  if (found.length === 0) {
    throw new Problem(netProblems.NET_FETCH_FAILED, "The host name has no addresses");
  }
  return found.map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
    range: classifyAddress(address) ?? "reserved",
  }));
}

/**
 * Checks a URL before anything is sent: http(s) only, https unless allowed, no credentials, and
 * every address the host resolves to outside the blocked ranges. Throws NET_URL_BLOCKED, or
 * NET_FETCH_FAILED when the name does not resolve. Connect only to the returned addresses.
 */
export async function checkOutboundUrl(
  input: string | URL,
  options: OutboundOptions = {},
): Promise<OutboundTarget> {
  const url = parseOutboundUrl(input);
  const hostname = normaliseHost(url.hostname);
  const allowance = {
    allowPrivate: options.allowPrivate === true,
    hostAllowListed: (options.allowHosts ?? []).some((h) => normaliseHost(h) === hostname),
  };
  const localhost = hostname === "localhost" || classifyAddress(hostname) === "loopback";
  const localAllowed = localhost && (allowance.allowPrivate || allowance.hostAllowListed);
  if (url.protocol === "http:" && options.allowHttp !== true && !localAllowed) {
    throw blocked("https_required", "Only https:// URLs may be fetched");
  }
  const addresses = await resolveHost(hostname);
  // One bad address blocks the host: a resolver may answer with a mix to win a race.
  for (const { range } of addresses) {
    if (!isRangeAllowed(range, allowance)) {
      const label = range.replace("_", "-");
      throw blocked("address", `The host resolves to a ${label} address`, { range });
    }
  }
  return { url, hostname, addresses };
}

/** Options of one guarded fetch. Timeout and size are required: there is no safe default. */
export interface GuardedFetchOptions extends OutboundOptions {
  /** Deadline for the whole exchange, DNS and redirects included. */
  timeout_ms: number;
  /** Largest response body accepted. */
  max_bytes: number;
  /** Redirects to follow (each re-checked); at most `netLimits.redirects_max`. */
  redirects_max?: number;
  /** Sent to the first origin only, so a redirect cannot carry credentials elsewhere. */
  headers?: Readonly<Record<string, string>>;
  /** Default GET. A request with a body is never redirected (its body would be re-sent). */
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: Buffer;
}

/** A response read in full. Non-2xx statuses are returned, not thrown. */
export interface GuardedResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  redirects: number;
}

/**
 * GETs a URL through the SSRF guard: DNS resolved and checked first, the connection pinned to
 * the checked addresses (no second lookup for a rebinding answer), redirects re-checked, the
 * body capped and the whole exchange bounded in time. Throws NET_* Problems.
 */
export async function guardedFetch(
  input: string | URL,
  options: GuardedFetchOptions,
): Promise<GuardedResponse> {
  assert(Number.isInteger(options.timeout_ms) && options.timeout_ms > 0, "timeout_ms > 0");
  assert(Number.isInteger(options.max_bytes) && options.max_bytes > 0, "max_bytes > 0");
  const redirectsMax =
    options.body !== undefined ? 0 : (options.redirects_max ?? netLimits.redirects_max);
  assert(redirectsMax >= 0 && redirectsMax <= netLimits.redirects_max, "redirects_max in range");
  const signal = AbortSignal.timeout(options.timeout_ms);
  const timeout = () =>
    new Problem(
      netProblems.NET_FETCH_TIMEOUT,
      `No complete answer within ${options.timeout_ms} ms`,
    );
  let current: string | URL = input;
  let firstOrigin: string | null = null;
  for (let redirects = 0; redirects <= redirectsMax; redirects++) {
    const target = await untilAborted(checkOutboundUrl(current, options), signal, timeout);
    firstOrigin ??= target.url.origin;
    const sameOrigin = target.url.origin === firstOrigin;
    const headers = sameOrigin ? (options.headers ?? {}) : {};
    const response = await fetchOnce(
      target,
      {
        max_bytes: options.max_bytes,
        headers,
        ...(options.method ? { method: options.method } : {}),
        ...(options.body ? { body: options.body } : {}),
      },
      signal,
      timeout,
    );
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(response.status) || location === undefined) {
      return { ...response, url: target.url.href, redirects };
    }
    try {
      current = new URL(location, target.url);
    } catch {
      throw blocked("url_invalid", "The redirect Location is not a valid URL");
    }
  }
  throw new Problem(netProblems.NET_FETCH_FAILED, `More than ${redirectsMax} redirects`);
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => Problem) {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}
