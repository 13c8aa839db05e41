import { findBuiltin } from "../builtins/index.ts";
import type { Clock } from "../kernel/clock.ts";
import { isProblem } from "../kernel/problem.ts";
import { guardedFetch, type OutboundOptions } from "../net/index.ts";

/**
 * Execution adapters run one operation of a service and report a typed outcome; they never
 * throw for a provider's failure. The purchase flow writes the Run and Outcome and moves the
 * money from what the adapter reports, so every adapter is interchangeable.
 */

/** What is executed: the service as the order snapshotted it. */
export interface ExecutionTarget {
  service_id: string;
  endpoints: { url: string; method: string; protocols: string[] }[];
  operation: string;
  input: unknown;
  /** Headers the rail asks to replay to the provider (the paidHttp adapter). */
  payment_headers?: Record<string, string>;
}

export type ExecutionResult =
  | { ok: true; value: unknown; latency_ms: number; route: string }
  | {
      ok: false;
      kind: "provider_error" | "timeout" | "bad_response" | "unreachable" | "input_rejected";
      error: string;
      latency_ms: number;
      route: string;
    };

export interface ExecutionAdapter {
  route: string;
  accepts(target: ExecutionTarget): boolean;
  run(
    target: ExecutionTarget,
    limits: { timeout_ms: number; max_bytes: number },
  ): Promise<ExecutionResult>;
}

function elapsed(clock: Clock, start_ms: number): number {
  return Math.max(0, clock.now_ms() - start_ms);
}

/** Built-in skills run in process: `builtin:<skill key>#<operation>`. */
export function builtinAdapter(clock: Clock): ExecutionAdapter {
  return {
    route: "builtin",
    accepts: (t) => t.endpoints.some((e) => e.url.startsWith("builtin:")),
    async run(t) {
      const start = clock.now_ms();
      const url = t.endpoints.find((e) => e.url.startsWith("builtin:"))?.url ?? "";
      const [key = "", op = t.operation] = url.slice("builtin:".length).split("#");
      const found = findBuiltin(key, op);
      if (!found) {
        return {
          ok: false,
          kind: "provider_error",
          error: `no built-in ${key}#${op}`,
          latency_ms: 0,
          route: "builtin",
        };
      }
      try {
        const value = await found.operation.run(t.input);
        return { ok: true, value, latency_ms: elapsed(clock, start), route: "builtin" };
      } catch (error) {
        const kind = isProblem(error) ? "input_rejected" : "provider_error";
        const message = error instanceof Error ? error.message : String(error);
        return {
          ok: false,
          kind,
          error: message,
          latency_ms: elapsed(clock, start),
          route: "builtin",
        };
      }
    },
  };
}

/** How one JSON POST to a provider is made: its guard options and extra headers. */
export interface ProviderCall {
  route: string;
  outbound: OutboundOptions;
  headers: Record<string, string>;
}

/**
 * POSTs `{operation, input}` to `url` through the SSRF guard (pinned addresses, no redirects with
 * a body, bounded time and size) and reads JSON back (`{result}` or any JSON value) as a typed
 * outcome. Shared by every adapter that calls a provider over HTTP.
 */
export async function postToProvider(
  clock: Clock,
  url: string,
  t: ExecutionTarget,
  call: ProviderCall,
  limits: { timeout_ms: number; max_bytes: number },
): Promise<ExecutionResult> {
  const { route } = call;
  const start = clock.now_ms();
  try {
    const res = await guardedFetch(url, {
      ...call.outbound,
      method: "POST",
      body: Buffer.from(JSON.stringify({ operation: t.operation, input: t.input })),
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        ...call.headers,
      },
      timeout_ms: limits.timeout_ms,
      max_bytes: limits.max_bytes,
    });
    const latency_ms = elapsed(clock, start);
    if (res.status < 200 || res.status >= 300) {
      const error = `provider answered ${res.status}`;
      return { ok: false, kind: "provider_error", error, latency_ms, route };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString("utf8"));
    } catch {
      const error = "provider answered with something other than JSON";
      return { ok: false, kind: "bad_response", error, latency_ms, route };
    }
    const value =
      typeof parsed === "object" && parsed !== null && "result" in parsed
        ? (parsed as { result: unknown }).result
        : parsed;
    return { ok: true, value, latency_ms, route };
  } catch (error) {
    const code = isProblem(error) ? error.code : "";
    const kind =
      code === "NET_FETCH_TIMEOUT"
        ? "timeout"
        : code === "NET_RESPONSE_TOO_LARGE"
          ? "bad_response"
          : "unreachable";
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, kind, error: message, latency_ms: elapsed(clock, start), route };
  }
}

/**
 * HTTP providers: agx POSTs `{operation, input}` to the provider's endpoint through the SSRF
 * guard and expects JSON back. Payment headers are replayed when the rail says so.
 */
export function httpAdapter(clock: Clock, outbound: OutboundOptions): ExecutionAdapter {
  return {
    route: "http",
    accepts: (t) => t.endpoints.some((e) => /^https?:\/\//.test(e.url)),
    async run(t, limits) {
      const endpoint = t.endpoints.find((e) => /^https?:\/\//.test(e.url));
      if (!endpoint)
        return {
          ok: false,
          kind: "unreachable",
          error: "no http endpoint",
          latency_ms: 0,
          route: "http",
        };
      const headers = { ...t.payment_headers };
      return postToProvider(clock, endpoint.url, t, { route: "http", outbound, headers }, limits);
    },
  };
}

/** Picks the first adapter that accepts the target (built-ins first, then HTTP, then machines). */
export function createExecutor(adapters: ExecutionAdapter[]) {
  return {
    async run(
      target: ExecutionTarget,
      limits: { timeout_ms: number; max_bytes: number },
    ): Promise<ExecutionResult> {
      const adapter = adapters.find((a) => a.accepts(target));
      if (!adapter) {
        return {
          ok: false,
          kind: "unreachable",
          error: "no adapter can run this service",
          latency_ms: 0,
          route: "none",
        };
      }
      return adapter.run(target, limits);
    },
  };
}

export type Executor = ReturnType<typeof createExecutor>;
