import { randomUUID } from "node:crypto";
import { AgxNetworkError, problemOf } from "./problem.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** How a client reaches a hub and who it is there. */
export interface AgxClientOptions {
  /** The hub's base URL, e.g. `http://127.0.0.1:8402`. */
  url: string;
  /** An `sk_agx_…` API key, sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** A paired agent's token, sent as `x-agent-pairing-token` (spends its machine's funds). */
  pairingToken?: string;
  /** Longest wait for one answer; 30 s by default. */
  timeout_ms?: number;
  /** The fetch to use (tests, proxies); the global one by default. */
  fetch?: typeof globalThis.fetch;
  /**
   * Pays 402 answers: wraps the fetch, e.g. `(f) => wrapFetchWithPayment(f, x402client)` from
   * `@x402/fetch`. The paid retry gets its own Idempotency-Key (`<key>.paid`): the hub keeps the
   * first answer of a key, and that was the 402.
   */
  payments?: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch;
  /** Makes Idempotency-Keys for calls that did not bring one. */
  newIdempotencyKey?: () => string;
}

/** Per-call options of a state-changing request. */
export interface CallOptions {
  /** Reuse it to retry safely: the hub answers a replay with the first result. */
  idempotencyKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RequestOptions extends CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

/** A successful answer: status, headers and parsed JSON (or text) body. */
export interface AgxResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

const STATE_CHANGING = new Set<HttpMethod>(["POST", "PUT", "PATCH", "DELETE"]);
const PAYMENT_HEADERS = ["payment-signature", "x-payment"];

/** The fetch a payment wrapper calls: a request carrying a payment gets a key of its own. */
function paidRetryFetch(base: typeof globalThis.fetch): typeof globalThis.fetch {
  return (input, init) => {
    const request = new Request(input, init);
    const key = request.headers.get("idempotency-key");
    if (!key || !PAYMENT_HEADERS.some((h) => request.headers.has(h))) return base(request);
    const headers = new Headers(request.headers);
    headers.set("idempotency-key", `${key}.paid`);
    return base(new Request(request, { headers }));
  };
}

/** The fetch of these options: the given (or global) one, wrapped by `payments` when set. */
export function fetchOf(options: AgxClientOptions): typeof globalThis.fetch {
  const base = options.fetch ?? globalThis.fetch;
  return options.payments ? options.payments(paidRetryFetch(base)) : base;
}
export const DEFAULT_TIMEOUT_MS = 30_000;

async function bodyOf(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === "") return null;
  // An idempotent replay may come without a content-type (the hub stores only the body).
  const type = res.headers.get("content-type");
  if (type !== null && !/json/.test(type)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** One HTTP exchange with the hub: auth, Idempotency-Key, timeout, problems as exceptions. */
export async function send<T>(
  options: AgxClientOptions,
  method: HttpMethod,
  path: string,
  request: RequestOptions = {},
): Promise<AgxResponse<T>> {
  const url = new URL(path, options.url.endsWith("/") ? options.url : `${options.url}/`);
  for (const [k, v] of Object.entries(request.query ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  const headers: Record<string, string> = { accept: "application/json", ...request.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  if (options.pairingToken) headers["x-agent-pairing-token"] = options.pairingToken;
  if (STATE_CHANGING.has(method)) {
    headers["idempotency-key"] =
      request.idempotencyKey ?? options.newIdempotencyKey?.() ?? `idem_${randomUUID()}`;
  }
  if (request.body !== undefined) headers["content-type"] = "application/json";
  const timeout = AbortSignal.timeout(options.timeout_ms ?? DEFAULT_TIMEOUT_MS);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetchOf(options)(url, {
      method,
      headers,
      signal,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    });
  } catch (error) {
    const why = error instanceof Error ? (error.cause ?? error) : error;
    const message = why instanceof Error ? why.message : String(why);
    throw new AgxNetworkError(url.origin, `cannot reach ${url.origin}: ${message}`, {
      cause: error,
    });
  }
  const body = await bodyOf(res);
  if (!res.ok) throw problemOf(res.status, body, res.headers, res.statusText);
  return { status: res.status, headers: res.headers, body: body as T };
}
