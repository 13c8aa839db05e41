import { request as httpRequest } from "node:http";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The command-line arguments when `moduleUrl` is the entry (`node bin/run-ts.js <file> …`). */
export function mainArgs(moduleUrl: string): string[] | null {
  const [, runner, file, ...rest] = process.argv;
  if (!runner?.endsWith("run-ts.js") || !file) return null;
  return pathToFileURL(resolve(file)).href === moduleUrl ? rest : null;
}

/**
 * The harnesses' HTTP client: real requests over loopback, an Idempotency-Key on every write,
 * and a retry loop that tells an acknowledged answer from a refusal from "we do not know".
 */

// biome-ignore lint/suspicious/noExplicitAny: harnesses read response bodies field by field.
export type Body = any;

export interface Reply {
  status: number;
  body: Body;
  headers: Record<string, string | string[] | undefined>;
}

export interface CallSpec {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as Idempotency-Key; retries reuse it. */
  idem?: string;
  timeout_ms?: number;
}

/** Where a call ended: a 2xx, a definitive refusal (4xx), or unknown after every retry. */
export type Outcome =
  | { kind: "acked"; reply: Reply; attempts: number }
  | { kind: "refused"; reply: Reply; attempts: number }
  | { kind: "unknown"; error: string; attempts: number };

/** One HTTP exchange; rejects on transport errors (refused, reset, timeout). */
export function send(base: string, method: string, path: string, spec: CallSpec = {}) {
  const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.key) headers.authorization = `Bearer ${spec.key}`;
  if (spec.idem) headers["idempotency-key"] = spec.idem;
  if (payload) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(payload.length);
  }
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { method, headers, timeout: spec.timeout_ms ?? 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: Body = text;
          try {
            body = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end(payload);
  });
}

/**
 * Sends the request and closes the socket as soon as the answer starts, without reading it:
 * the server did the work, the client never learns the result.
 */
export function sendAndDrop(base: string, method: string, path: string, spec: CallSpec = {}) {
  const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
  const headers: Record<string, string> = { ...spec.headers, connection: "close" };
  if (spec.key) headers.authorization = `Bearer ${spec.key}`;
  if (spec.idem) headers["idempotency-key"] = spec.idem;
  if (payload) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(payload.length);
  }
  return new Promise<void>((resolve) => {
    const req = httpRequest(`${base}${path}`, { method, headers, timeout: 30_000 }, (res) => {
      res.socket.destroy();
      resolve();
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve());
    req.on("close", () => resolve());
    req.end(payload);
  });
}

/** Answers that say "not now" rather than "no": the same key is tried again. */
export function isTransient(reply: Reply): boolean {
  if (reply.status >= 500 || reply.status === 429) return true;
  if (reply.status !== 409) return false;
  const code = reply.body?.code;
  return code === "IDEMPOTENCY_KEY_IN_USE" || code === "CONFLICT";
}

export interface RetryPolicy {
  /** Give up (outcome unknown) after this long. */
  deadline_ms: number;
  backoff_min_ms: number;
  backoff_max_ms: number;
}

export const defaultRetry: RetryPolicy = {
  deadline_ms: 120_000,
  backoff_min_ms: 50,
  backoff_max_ms: 2_000,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client over one or more hub nodes, round robin, with the retry loop. */
export class Api {
  #next = 0;
  /** Transport errors and transient answers seen (how often the chaos bit). */
  retries = 0;
  /** Requests sent per node URL (how round robin spread the work). */
  readonly sent = new Map<string, number>();
  constructor(
    readonly bases: () => readonly string[],
    readonly retry: RetryPolicy = defaultRetry,
  ) {}

  /** The node the next request goes to. */
  base(): string {
    const all = this.bases();
    const base = all[this.#next % all.length];
    this.#next++;
    if (base === undefined) throw new Error("no hub node");
    this.sent.set(base, (this.sent.get(base) ?? 0) + 1);
    return base;
  }

  /** One attempt, no retry; transport errors reject. */
  once(method: string, path: string, spec: CallSpec = {}): Promise<Reply> {
    return send(this.base(), method, path, spec);
  }

  /** Retries with the same Idempotency-Key until a definitive answer or the deadline. */
  async call(method: string, path: string, spec: CallSpec = {}): Promise<Outcome> {
    const started = Date.now();
    let wait = this.retry.backoff_min_ms;
    let attempts = 0;
    let last = "";
    for (;;) {
      attempts++;
      try {
        const reply = await send(this.base(), method, path, spec);
        if (reply.status >= 200 && reply.status < 300) return { kind: "acked", reply, attempts };
        if (!isTransient(reply)) return { kind: "refused", reply, attempts };
        last = `${reply.status} ${reply.body?.code ?? ""}`;
        const after = Number(reply.headers["retry-after"]);
        if (Number.isFinite(after) && after > 0)
          wait = Math.max(wait, Math.min(after * 1000, 5000));
      } catch (error) {
        last = (error as Error).message;
      }
      this.retries++;
      if (Date.now() - started + wait > this.retry.deadline_ms) {
        return { kind: "unknown", error: last, attempts };
      }
      await sleep(wait * (0.5 + Math.random()));
      wait = Math.min(wait * 2, this.retry.backoff_max_ms);
    }
  }

  /** A call that must succeed (setup steps): throws with the answer otherwise. */
  async must(method: string, path: string, spec: CallSpec = {}): Promise<Body> {
    const out = await this.call(method, path, spec);
    if (out.kind !== "acked") {
      const what = out.kind === "refused" ? JSON.stringify(out.reply.body) : out.error;
      throw new Error(`${method} ${path} failed: ${what}`);
    }
    return out.reply.body;
  }
}

/** Minor units of a 6-decimal amount string ("0.010000" → 10000n). */
export function minor6(amount: string): bigint {
  const [whole = "0", frac = ""] = amount.split(".");
  return BigInt(whole) * 1_000_000n + BigInt(`${frac}000000`.slice(0, 6));
}

/** Counts by key, printed as a sorted table line. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  toObject(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
