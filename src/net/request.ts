import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { assert } from "../kernel/assert.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { netProblems } from "./problems.ts";
import type { GuardedResponse, OutboundTarget, ResolvedAddress } from "./ssrf.ts";

/** The statuses a guarded fetch follows (after re-checking the Location). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * One request (GET unless told) to an already checked target: connected to its checked addresses only, body read
 * up to `max_bytes`, aborted with the caller's deadline. Redirect bodies are not read.
 */
export async function fetchOnce(
  target: OutboundTarget,
  options: {
    max_bytes: number;
    headers: Readonly<Record<string, string>>;
    method?: string;
    body?: Buffer;
  },
  signal: AbortSignal,
  timeout: () => Problem,
): Promise<Omit<GuardedResponse, "url" | "redirects">> {
  const failed = (error: unknown) =>
    signal.aborted
      ? timeout()
      : new Problem(netProblems.NET_FETCH_FAILED, "The remote server could not be reached", {
          cause: error,
        });
  let res: IncomingMessage;
  try {
    res = await openResponse(target, options, signal);
  } catch (error) {
    throw failed(error);
  }
  const status = res.statusCode ?? 0;
  const headers = flattenHeaders(res.headers);
  if (REDIRECT_STATUSES.has(status)) {
    res.destroy();
    return { status, headers, body: Buffer.alloc(0) };
  }
  const tooLarge = () =>
    new Problem(
      netProblems.NET_RESPONSE_TOO_LARGE,
      `The response is larger than ${options.max_bytes} bytes`,
    );
  if (Number(headers["content-length"] ?? 0) > options.max_bytes) {
    res.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.max_bytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (error) {
    res.destroy();
    throw isProblem(error) ? error : failed(error);
  }
  return { status, headers, body: Buffer.concat(chunks) };
}

function openResponse(
  target: OutboundTarget,
  options: { headers: Readonly<Record<string, string>>; method?: string; body?: Buffer },
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const client = target.url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target.url,
      {
        method: options.method ?? "GET",
        // A fresh connection per request: a pooled socket could predate this check.
        agent: false,
        lookup: pinnedLookup(target.addresses),
        signal,
        headers: { "accept-encoding": "identity", ...options.headers },
      },
      resolve,
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/** A `lookup` that answers with the already checked addresses, never asking DNS again. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const first = addresses[0];
    assert(first !== undefined, "a checked target has at least one address");
    if (options.all === true) {
      callback(
        null,
        addresses.map(({ address, family }) => ({ address, family })),
      );
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
