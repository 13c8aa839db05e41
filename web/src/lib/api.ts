import { AgxNetworkError, AgxProblem, problemOf } from "../../../src/sdk/problem.ts";

export { AgxNetworkError, AgxProblem };

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

let csrfToken: string | null = null;
const signedOutListeners = new Set<() => void>();

/** The session's CSRF token, sent on every state-changing call (read from GET /api/v1/session). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the hub says the session is gone, so the app can show the sign-in page. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** A fresh Idempotency-Key; keep it across retries of the same action. */
export function newIdempotencyKey(): string {
  return `console_${crypto.randomUUID()}`;
}

export interface CallOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/**
 * One call to this hub's public API with the session cookie: JSON in and out, the CSRF token
 * and an Idempotency-Key on state-changing calls, errors as AgxProblem (RFC 9457).
 */
export async function api<T>(method: Method, path: string, options: CallOptions = {}): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(options.query ?? {})) {
    if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
  }
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") {
    headers["idempotency-key"] = options.idempotencyKey ?? newIdempotencyKey();
    if (csrfToken) headers["x-csrf-token"] = csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new AgxNetworkError(url.origin, "The hub cannot be reached. Check your connection.", {
      cause: error,
    });
  }
  const text = await res.text();
  let body: unknown = null;
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!res.ok) {
    const problem = problemOf(res.status, body, res.headers, res.statusText);
    if (problem.code === "SESSION_INVALID" || (res.status === 401 && path !== "/api/v1/session")) {
      for (const l of signedOutListeners) l();
    }
    throw problem;
  }
  return body as T;
}
