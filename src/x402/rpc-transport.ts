import http from "node:http";
import https from "node:https";
import { http as httpTransport, type Transport } from "viem";
import { x402Limits } from "./limits.ts";

/**
 * Connections to JSON-RPC endpoints, kept alive and shared by every client of this process
 * (one pool per protocol; the agent keeps at most `rpc_sockets_max` per endpoint).
 */
const agents = {
  "http:": new http.Agent({
    keepAlive: true,
    maxSockets: x402Limits.rpc_sockets_max,
    scheduling: "lifo",
  }),
  "https:": new https.Agent({
    keepAlive: true,
    maxSockets: x402Limits.rpc_sockets_max,
    scheduling: "lifo",
  }),
};

type Init = NonNullable<Parameters<typeof fetch>[1]>;

/**
 * `fetch` for JSON-RPC POSTs over node:http with kept-alive sockets. The global fetch (undici)
 * costs about 0.9 ms of CPU and 1.1 ms of wall time per call against a local node where this
 * costs 0.3 and 0.4 (bench/x402-cpu.ts measures the whole paid call): a settlement makes four
 * calls on the hub's event loop, which is what a busy hub runs out of first. Errors and aborts
 * reject like fetch's (viem maps them: a timeout is TimeoutError, a socket failure
 * HttpRequestError, both "delivery unknown" to the signer).
 */
export function rpcFetch(input: string | URL | Request, init: Init = {}): Promise<Response> {
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new TypeError(`unsupported RPC protocol ${url.protocol}`));
  const body = typeof init.body === "string" ? init.body : "";
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, key) => {
    headers[key] = value;
  });
  headers["content-length"] = String(Buffer.byteLength(body));
  const send = url.protocol === "https:" ? https.request : http.request;
  return new Promise<Response>((resolve, reject) => {
    const signal = init.signal ?? null;
    if (signal?.aborted) return reject(signal.reason);
    const req = send(url, { method: init.method ?? "POST", agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > x402Limits.rpc_response_bytes_max) {
          req.destroy(
            new Error(`the RPC answer passed ${x402Limits.rpc_response_bytes_max} bytes`),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("end", () => {
        signal?.removeEventListener("abort", abort);
        const answer = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (typeof value === "string") answer.set(key, value);
        }
        resolve(
          new Response(Buffer.concat(chunks).toString("utf8"), {
            status: res.statusCode ?? 502,
            statusText: res.statusMessage ?? "",
            headers: answer,
          }),
        );
      });
    });
    const abort = () => req.destroy(signal?.reason ?? new Error("aborted"));
    signal?.addEventListener("abort", abort, { once: true });
    req.on("error", (error) => {
      signal?.removeEventListener("abort", abort);
      reject(error);
    });
    req.end(body);
  });
}

/** viem's HTTP transport to `url` over `rpcFetch`, no retries (the callers decide). */
export function rpcTransport(
  url: string,
  options: { timeout_ms: number; batch?: boolean },
): Transport {
  return httpTransport(url, {
    timeout: options.timeout_ms,
    retryCount: 0,
    fetchFn: rpcFetch as typeof fetch,
    ...(options.batch ? { batch: true } : {}),
  });
}
