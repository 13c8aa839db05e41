import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { Problem } from "../kernel/problem.ts";
import { checkOutboundUrl, netProblems, type ResolvedAddress } from "../net/index.ts";
import { webhookLimits } from "./limits.ts";

/** How a sender may reach receivers; the same options as the guarded fetch. */
export interface SenderOptions {
  allowHosts: readonly string[];
  allowPrivate: boolean;
  timeout_ms: number;
  response_bytes_max: number;
}

/** A receiver's answer: its status and headers (the body is read, bounded, and dropped). */
export interface SenderResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
}

/** A `lookup` that answers with one already checked address, never asking DNS again. */
function pinnedLookup(a: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) callback(null, [{ address: a.address, family: a.family }]);
    else callback(null, a.address, a.family);
  };
}

function flatten(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/**
 * Signed POSTs to receivers over kept-alive connections. Every send runs the SSRF guard first
 * (DNS resolved and checked each time), and a connection is reused only for the same checked
 * address: the pools are keyed by scheme, host, port and that address, so a socket never
 * outlives the check that allowed it. No redirects (a POST body is never re-sent elsewhere).
 */
export function createSender(options: SenderOptions) {
  const agents = new Map<string, { agent: http.Agent; lookup: LookupFunction }>();

  function poolOf(url: URL, hostname: string, address: ResolvedAddress) {
    const key = `${url.protocol}//${hostname}:${url.port}@${address.address}`;
    const hit = agents.get(key);
    if (hit) return hit;
    if (agents.size >= webhookLimits.sender_pools_max) {
      const [oldest, pool] = agents.entries().next().value as [string, { agent: http.Agent }];
      agents.delete(oldest);
      pool.agent.destroy();
    }
    const Agent = url.protocol === "https:" ? https.Agent : http.Agent;
    const pool = {
      agent: new Agent({
        keepAlive: true,
        maxSockets: webhookLimits.sender_sockets_per_pool_max,
        // Idle sockets close before a receiver's own keep-alive timeout (5 s in Node) can race
        // a reuse; an idle socket is unref'd by the agent, so it never holds the process open.
        timeout: webhookLimits.sender_idle_socket_ms,
        noDelay: true,
      }),
      lookup: pinnedLookup(address),
    };
    agents.set(key, pool);
    return pool;
  }

  function once(
    url: URL,
    pool: { agent: http.Agent; lookup: LookupFunction },
    headers: Record<string, string>,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<{ res: IncomingMessage; reused: boolean }> {
    const client = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: "POST",
          agent: pool.agent,
          lookup: pool.lookup,
          signal,
          headers: {
            "accept-encoding": "identity",
            "content-length": String(body.length),
            ...headers,
          },
        },
        (res) => resolve({ res, reused: req.reusedSocket }),
      );
      req.on("error", (error) => reject(Object.assign(error, { reused: req.reusedSocket })));
      req.end(body);
    });
  }

  /** Reads the answer up to the size bound, then lets the socket go back to its pool. */
  async function drain(res: IncomingMessage): Promise<void> {
    if (Number(res.headers["content-length"] ?? 0) > options.response_bytes_max) {
      res.destroy();
      throw new Problem(
        netProblems.NET_RESPONSE_TOO_LARGE,
        `The response is larger than ${options.response_bytes_max} bytes`,
      );
    }
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.response_bytes_max) {
        res.destroy();
        throw new Problem(
          netProblems.NET_RESPONSE_TOO_LARGE,
          `The response is larger than ${options.response_bytes_max} bytes`,
        );
      }
    }
  }

  /** POSTs `body` to `url` within the timeout; throws NET_* Problems for the receiver's faults. */
  async function post(
    url: string,
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<SenderResponse> {
    const signal = AbortSignal.timeout(options.timeout_ms);
    const timeout = () =>
      new Problem(
        netProblems.NET_FETCH_TIMEOUT,
        `No complete answer within ${options.timeout_ms} ms`,
      );
    const failed = (error: unknown) =>
      signal.aborted
        ? timeout()
        : new Problem(netProblems.NET_FETCH_FAILED, "The remote server could not be reached", {
            cause: error,
          });
    const target = await checkOutboundUrl(url, options);
    const address = target.addresses[0];
    if (!address) throw new Problem(netProblems.NET_FETCH_FAILED, "The host has no addresses");
    const pool = poolOf(target.url, target.hostname, address);
    // One POST per recorded attempt, never a silent second one: a receiver that reset a
    // kept-alive socket may well have read the request, and the attempts log (and the bound of
    // 6 attempts) must count every request it was sent. The idle timeout below the receivers'
    // own keeps such races rare; a lost one is an ordinary failed attempt, retried by backoff.
    let answer: { res: IncomingMessage; reused: boolean };
    try {
      answer = await once(target.url, pool, headers, body, signal);
    } catch (error) {
      throw failed(error);
    }
    try {
      await drain(answer.res);
    } catch (error) {
      if (error instanceof Problem) throw error;
      throw failed(error);
    }
    return { status: answer.res.statusCode ?? 0, headers: flatten(answer.res.headers) };
  }

  /** Closes every pooled connection. */
  function close(): void {
    for (const { agent } of agents.values()) agent.destroy();
    agents.clear();
  }

  return { post, close };
}

export type Sender = ReturnType<typeof createSender>;
