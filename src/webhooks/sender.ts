import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { performance } from "node:perf_hooks";
import { urlToHttpOptions } from "node:url";
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

/** A receiver's answer: its status and Retry-After (the body is read, bounded, and dropped). */
export interface SenderResponse {
  status: number;
  retry_after: string | undefined;
}

interface Pool {
  agent: http.Agent;
  lookup: LookupFunction;
}

/** A URL that passed the SSRF guard: the one address it may reach and how to POST there. */
interface Checked {
  https: boolean;
  /** Scheme, host, port and the checked address: the key of the only pool it may use. */
  pool_key: string;
  address: ResolvedAddress;
  /** The URL as request options, copied out of urlToHttpOptions' null-prototype object. */
  protocol: string;
  /** The Host header: the host name (IPv6 in brackets) and a port other than the default. */
  host: string;
  hostname: string;
  port: number | undefined;
  path: string;
}

/** A `lookup` that answers with one already checked address, never asking DNS again. */
function pinnedLookup(a: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) callback(null, [{ address: a.address, family: a.family }]);
    else callback(null, a.address, a.family);
  };
}

/**
 * Signed POSTs to receivers over kept-alive connections. Every send goes through the SSRF guard:
 * a URL's check (DNS resolved, every address checked) is reused for at most
 * `sender_check_ttl_ms`, and a connection is reused only for the same checked address: the pools
 * are keyed by scheme, host, port and that address, and their lookup answers only that address,
 * so a socket never reaches anything but what a check allowed. No redirects (a POST body is
 * never re-sent elsewhere).
 */
export function createSender(options: SenderOptions) {
  const agents = new Map<string, Pool>();
  // By exact URL: a check depends on the whole URL (scheme, credentials), not just the host.
  // Only passed checks are kept; a refused or unresolved URL is checked again on its next send.
  const checks = new Map<string, { until_ms: number; checked: Promise<Checked> }>();

  function poolOf(c: Checked): Pool {
    const hit = agents.get(c.pool_key);
    if (hit) return hit;
    if (agents.size >= webhookLimits.sender_pools_max) {
      const [oldest, pool] = agents.entries().next().value as [string, Pool];
      agents.delete(oldest);
      pool.agent.destroy();
    }
    const Agent = c.https ? https.Agent : http.Agent;
    const pool = {
      agent: new Agent({
        keepAlive: true,
        maxSockets: webhookLimits.sender_sockets_per_pool_max,
        // Idle sockets close before a receiver's own keep-alive timeout (5 s in Node) can race
        // a reuse; an idle socket is unref'd by the agent, so it never holds the process open.
        timeout: webhookLimits.sender_idle_socket_ms,
        noDelay: true,
      }),
      lookup: pinnedLookup(c.address),
    };
    agents.set(c.pool_key, pool);
    return pool;
  }

  async function check(url: string): Promise<Checked> {
    const target = await checkOutboundUrl(url, options);
    const address = target.addresses[0];
    if (!address) throw new Problem(netProblems.NET_FETCH_FAILED, "The host has no addresses");
    const { protocol, hostname, port, path } = urlToHttpOptions(target.url);
    return {
      https: protocol === "https:",
      pool_key: `${protocol}//${target.hostname}:${target.url.port}@${address.address}`,
      address,
      protocol: protocol ?? "http:",
      host: target.url.host,
      hostname: hostname ?? target.hostname,
      port: port == null ? undefined : Number(port),
      path: path ?? "/",
    };
  }

  /** The URL's check, reused while fresh; concurrent sends to a new URL share one check. */
  function checked(url: string): Promise<Checked> {
    const now_ms = performance.now();
    const hit = checks.get(url);
    if (hit && hit.until_ms > now_ms) return hit.checked;
    if (hit) checks.delete(url);
    if (checks.size >= webhookLimits.sender_checks_max) {
      const oldest = checks.keys().next().value;
      if (oldest !== undefined) checks.delete(oldest);
    }
    const entry = { until_ms: now_ms + webhookLimits.sender_check_ttl_ms, checked: check(url) };
    checks.set(url, entry);
    entry.checked.catch(() => {
      if (checks.get(url) === entry) checks.delete(url);
    });
    return entry.checked;
  }

  const timedOut = () =>
    new Problem(
      netProblems.NET_FETCH_TIMEOUT,
      `No complete answer within ${options.timeout_ms} ms`,
    );
  const unreachable = (error: unknown) =>
    new Problem(netProblems.NET_FETCH_FAILED, "The remote server could not be reached", {
      cause: error,
    });
  const tooLarge = () =>
    new Problem(
      netProblems.NET_RESPONSE_TOO_LARGE,
      `The response is larger than ${options.response_bytes_max} bytes`,
    );

  /**
   * Sends one POST and reads its answer up to the size bound (the socket then goes back to its
   * pool), settling through `done` or `fail`; returns the request so a deadline can end it.
   */
  function exchange(
    c: Checked,
    headers: Record<string, string>,
    body: string,
    done: (res: SenderResponse) => void,
    fail: (error: Problem) => void,
  ): http.ClientRequest {
    const pool = poolOf(c);
    // Header lines as a flat list, which Node writes as given (each still validated) rather than
    // setting them one by one into a map first; so the Host line is ours to add.
    const lines = ["host", c.host, "accept-encoding", "identity"];
    lines.push("content-length", String(Buffer.byteLength(body)));
    for (const name in headers) lines.push(name, headers[name] as string);
    const req = (c.https ? https : http).request(
      {
        protocol: c.protocol,
        hostname: c.hostname,
        port: c.port,
        path: c.path,
        method: "POST",
        agent: pool.agent,
        lookup: pool.lookup,
        headers: lines,
      },
      (res) => {
        if (Number(res.headers["content-length"] ?? 0) > options.response_bytes_max) {
          res.destroy();
          return fail(tooLarge());
        }
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= options.response_bytes_max) return;
          res.destroy();
          fail(tooLarge());
        });
        res.on("end", () =>
          done({ status: res.statusCode ?? 0, retry_after: res.headers["retry-after"] }),
        );
        res.on("error", (error) => fail(unreachable(error)));
        // A reset mid-body may end the stream without an error: an unfinished answer fails.
        res.on("close", () => {
          if (!res.complete) fail(unreachable(new Error("the answer ended early")));
        });
      },
    );
    req.on("error", (error) => fail(unreachable(error)));
    req.end(body);
    return req;
  }

  /**
   * POSTs `body` to `url`, the URL's check and the whole exchange within `timeout_ms`; throws
   * NET_* Problems for the receiver's faults. A plain timer rather than an AbortSignal: it costs
   * no event target and listeners per request, and one duration for all keeps every request's
   * timer in one list. At the deadline it settles even while the request still waits for a
   * socket; destroyed, the request is never written to one afterwards.
   */
  function post(url: string, headers: Record<string, string>, body: string) {
    return new Promise<SenderResponse>((resolve, reject) => {
      let settled = false;
      let req: http.ClientRequest | null = null;
      const end = () => {
        settled = true;
        clearTimeout(timer);
      };
      const done = (res: SenderResponse) => {
        end();
        resolve(res);
      };
      const fail = (error: unknown) => {
        end();
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(timedOut());
        req?.destroy();
      }, options.timeout_ms);
      // One POST per recorded attempt, never a silent second one: a receiver that reset a
      // kept-alive socket may well have read the request, and the attempts log (and the bound of
      // 6 attempts) must count every request it was sent. The idle timeout below the receivers'
      // own keeps such races rare; a lost one is an ordinary failed attempt, retried by backoff.
      checked(url).then((c) => {
        if (!settled) req = exchange(c, headers, body, done, fail);
      }, fail);
    });
  }

  /** Closes every pooled connection and forgets every check. */
  function close(): void {
    for (const { agent } of agents.values()) agent.destroy();
    agents.clear();
    checks.clear();
  }

  return { post, close };
}

export type Sender = ReturnType<typeof createSender>;
