import { isProblem, type Problem } from "../kernel/problem.ts";
import { type GuardedResponse, guardedFetch, type OutboundOptions } from "../net/index.ts";
import { policyLimits } from "./limits.ts";
import type { ParsePeacTxtOptions, PeacTxtResult, PolicyFormat } from "./model.ts";
import { parsePeacTxtBytes } from "./peactxt.ts";
import { policyFailure, policyProblem } from "./problems.ts";

/** How to fetch a peac.txt. Outbound allowances default to public https hosts only. */
export interface FetchPeacTxtOptions extends OutboundOptions {
  /** Defaults to `policyLimits.fetch_timeout_ms`. */
  timeout_ms?: number;
  formats?: readonly PolicyFormat[];
}

/** A fetched and parsed peac.txt, with what a cache needs to revalidate it. */
export interface FetchedPeacTxt {
  /** The URL that answered, after redirects. */
  url: string;
  result: PeacTxtResult;
  etag: string | null;
  cache_control: string | null;
}

/**
 * The URLs to try, in order. An origin gets `/.well-known/peac.txt` then `/peac.txt`
 * (PEAC-TXT.md §2.2: the fallback only after a 404); any other URL is fetched as given.
 */
export function peacTxtCandidates(input: string): URL[] {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw policyProblem("POLICY_URL_BLOCKED", "The peac.txt location is not an absolute URL");
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") return [url];
  return [new URL("/.well-known/peac.txt", url), new URL("/peac.txt", url)];
}

/** Turns an outbound (NET_*) Problem into its policy code, keeping it as the cause. */
function policyProblemOfNet(problem: Problem): Problem {
  const cause = { cause: problem };
  switch (problem.code) {
    case "NET_URL_BLOCKED": {
      const reason = problem.extensions.reason;
      const insecure = reason === "https_required" || reason === "scheme";
      return policyProblem(
        insecure ? "POLICY_INSECURE_SCHEME" : "POLICY_URL_BLOCKED",
        problem.detail,
        cause,
      );
    }
    case "NET_FETCH_TIMEOUT":
      return policyProblem("POLICY_FETCH_TIMEOUT", problem.detail, cause);
    default:
      return policyProblem("POLICY_FETCH_FAILED", problem.detail, cause);
  }
}

async function fetchCandidate(
  url: URL,
  options: FetchPeacTxtOptions,
): Promise<GuardedResponse | "too_large"> {
  const { timeout_ms, formats: _formats, ...outbound } = options;
  try {
    return await guardedFetch(url, {
      ...outbound,
      timeout_ms: timeout_ms ?? policyLimits.fetch_timeout_ms,
      max_bytes: policyLimits.document_bytes_max,
      headers: { accept: "text/plain, application/json;q=0.9, */*;q=0.1" },
    });
  } catch (error) {
    if (!isProblem(error)) throw error;
    // An oversized answer is a verdict on the document, not on the fetch.
    if (error.code === "NET_RESPONSE_TOO_LARGE") return "too_large";
    throw policyProblemOfNet(error);
  }
}

function tooLargeAnswer(url: URL): FetchedPeacTxt {
  const message = `The policy is larger than ${policyLimits.document_bytes_max} bytes`;
  const result = policyFailure("POLICY_TOO_LARGE", message);
  return { url: url.href, result, etag: null, cache_control: null };
}

/**
 * Fetches and parses a peac.txt through the SSRF guard. Throws POLICY_* Problems when nothing
 * could be read (blocked, not found, failed, timed out); a document that was read but is
 * wrong comes back as a failed `result`.
 */
export async function fetchPeacTxt(
  input: string,
  options: FetchPeacTxtOptions = {},
): Promise<FetchedPeacTxt> {
  const candidates = peacTxtCandidates(input);
  for (const [i, url] of candidates.entries()) {
    const response = await fetchCandidate(url, options);
    if (response === "too_large") return tooLargeAnswer(url);
    if (response.status === 404 && i < candidates.length - 1) continue;
    if (response.status === 404) {
      const tried = candidates.map((c) => c.href).join(" or ");
      throw policyProblem("POLICY_NOT_FOUND", `No peac.txt at ${tried}`);
    }
    if (response.status < 200 || response.status > 299) {
      throw policyProblem("POLICY_FETCH_FAILED", `${url.href} answered HTTP ${response.status}`);
    }
    const parseOptions: ParsePeacTxtOptions = {};
    const contentType = response.headers["content-type"];
    if (contentType !== undefined) parseOptions.content_type = contentType;
    if (options.formats !== undefined) parseOptions.formats = options.formats;
    return {
      url: response.url,
      result: parsePeacTxtBytes(response.body, parseOptions),
      etag: response.headers.etag ?? null,
      cache_control: response.headers["cache-control"] ?? null,
    };
  }
  throw policyProblem("POLICY_NOT_FOUND", "No peac.txt location to try");
}
