import type { Readable } from "node:stream";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { type FuzzPools, type FuzzRequest, type Operation, requestArb } from "./fuzz-requests.ts";

/** One answer as the checker sees it. */
export interface FuzzAnswer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * 5xx answers that are the right answer to some request, with why. Everything else ≥ 500 is a
 * failure. The fuzzed world reaches no upstream (no 502/504 from providers, peers or RPC).
 */
export const JUSTIFIED_5XX: Record<string, string> = {
  // Load shedding on purpose: one process serves at most `live_streams_max` (32) live feeds.
  // Under app.inject a streamed answer's server side never closes, so the fuzzer's live feeds
  // pile up and the 33rd is refused; over real HTTP a closed connection frees its slot (40
  // sequential streams, each aborted, all answer 200).
  STATS_STREAMS_BUSY: "the live feed's stream cap (stats limits live_streams_max)",
  // The same for market thread streams (market limits), opened by fuzzed GET …/events.
  MARKET_THREAD_STREAMS_BUSY: "the thread streams' cap per process (market limits)",
};

const PROBLEM_CODE = /^[A-Z][A-Z0-9_]+$/;

/**
 * Why an answer breaks the fuzzing contract, or null when it keeps it. One exemption: `/mcp`
 * speaks MCP's Streamable HTTP transport, whose errors are JSON-RPC error objects by that spec
 * (the MCP SDK's 406/400 answers); agx's own checks in front of it (auth) still answer problems.
 */
export function contractBreach(answer: FuzzAnswer, path = ""): string | null {
  const { status } = answer;
  if (status >= 400 && status < 500 && path.startsWith("/mcp") && isJsonRpcError(answer)) {
    return null;
  }
  if (status >= 500) {
    const code = problemOf(answer)?.code;
    if (typeof code === "string" && JUSTIFIED_5XX[code]) return null;
    return `status ${status}${code ? ` ${code}` : ""}`;
  }
  if (status < 400) return null;
  const type = String(answer.headers["content-type"] ?? "");
  if (!type.startsWith("application/problem+json")) return `${status} with content-type ${type}`;
  const p = problemOf(answer);
  if (!p) return `${status} problem body is not a JSON object`;
  if (p.status !== status) return `${status} problem says status ${String(p.status)}`;
  if (typeof p.code !== "string" || !PROBLEM_CODE.test(p.code)) return `${status} without code`;
  for (const field of ["type", "title", "detail"] as const) {
    if (typeof p[field] !== "string") return `${status} ${p.code} without ${field}`;
  }
  if (!String(p.type).endsWith(`/problems/${p.code}`)) return `${p.code} type is ${p.type}`;
  if (p.errors !== undefined && !Array.isArray(p.errors)) return `${p.code} errors not an array`;
  return null;
}

function isJsonRpcError(answer: FuzzAnswer): boolean {
  const body = problemOf(answer);
  return body?.jsonrpc === "2.0" && typeof body.error === "object" && body.error !== null;
}

function problemOf(answer: FuzzAnswer): Record<string, unknown> | null {
  try {
    const body = JSON.parse(answer.body) as unknown;
    return body && typeof body === "object" && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Reads a streamed answer; an event stream is cut after its first bytes (it never ends). */
async function readAnswer(stream: Readable, eventStream: boolean): Promise<string> {
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => finish(), eventStream ? 50 : 20_000);
    const finish = () => {
      clearTimeout(timer);
      stream.destroy();
      resolve();
    };
    stream.on("data", (c: Buffer) => {
      chunks.push(c);
      if (eventStream) finish();
    });
    stream.on("end", finish);
    stream.on("error", finish);
  });
  return Buffer.concat(chunks).toString("utf8");
}

/** Sends one fuzzed request through app.inject; never throws. */
export async function inject(app: FastifyInstance, req: FuzzRequest): Promise<FuzzAnswer> {
  const res = await app.inject({
    method: req.method as "GET",
    url: req.url,
    headers: req.headers,
    ...(req.payload !== undefined ? { payload: req.payload } : {}),
    payloadAsStream: true,
  });
  const eventStream = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");
  const body = await readAnswer(res.stream(), eventStream);
  return { status: res.statusCode, headers: res.headers, body };
}

/** Longest a fuzzed request may go unanswered before it counts as a hang (a failure). */
export const ANSWER_DEADLINE_MS = 15_000;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const ID_IN_TEXT = /"([a-z]{2,6})_([0-9a-z]{26})"/g;

/** Adds the ids of a successful answer to the pools, so later requests reach real objects. */
export function harvest(pools: FuzzPools, answer: FuzzAnswer, protectedIds: Set<string>): void {
  if (answer.status >= 300 || answer.body.length > 200_000) return;
  for (const m of answer.body.matchAll(ID_IN_TEXT)) {
    const id = `${m[1]}_${m[2]}`;
    if (protectedIds.has(id)) continue;
    const list = pools.ids.get(m[1] ?? "") ?? [];
    if (list.length < 200 && !list.includes(id)) list.push(id);
    pools.ids.set(m[1] ?? "", list);
  }
}

export interface FuzzFailure {
  seed: number;
  batch: number;
  index: number;
  reason: string;
  request: FuzzRequest;
  answer?: { status: number; body: string };
}

export interface FuzzFigures {
  requests: number;
  by_status: Record<string, number>;
  by_code: Record<string, number>;
  failures: FuzzFailure[];
}

/** Adds one answer to the figures. */
export function tally(figures: FuzzFigures, answer: FuzzAnswer): void {
  figures.requests += 1;
  const s = String(answer.status);
  figures.by_status[s] = (figures.by_status[s] ?? 0) + 1;
  if (answer.status >= 400) {
    const code = String(problemOf(answer)?.code ?? "?");
    figures.by_code[code] = (figures.by_code[code] ?? 0) + 1;
  }
}

/**
 * Schema-aware fuzzing over app.inject: batches of requests drawn with seed `seed + batch`, so a
 * failure is named by (seed, batch, index) and printed whole. Ids seen in answers feed later
 * batches.
 */
export async function fuzzOperations(options: {
  app: FastifyInstance;
  ops: Operation[];
  pools: FuzzPools;
  protectedIds: Set<string>;
  seed: number;
  requests: number;
  batch_size?: number;
  concurrency?: number;
  onProgress?: (figures: FuzzFigures) => void;
}): Promise<FuzzFigures> {
  const figures: FuzzFigures = { requests: 0, by_status: {}, by_code: {}, failures: [] };
  const batchSize = options.batch_size ?? 500;
  const concurrency = options.concurrency ?? 4;
  for (let batch = 0; figures.requests < options.requests; batch++) {
    const arb = fc.constantFrom(...options.ops).chain((op) => requestArb(op, options.pools));
    const n = Math.min(batchSize, options.requests - figures.requests);
    const reqs = fc.sample(arb, { seed: options.seed + batch, numRuns: n });
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < reqs.length; i = next++) {
        const request = reqs[i] as FuzzRequest;
        const where = {
          seed: options.seed,
          batch,
          index: i,
          request: symbolic(request, options.pools),
        };
        try {
          const answer = await withDeadline(inject(options.app, request), ANSWER_DEADLINE_MS);
          tally(figures, answer);
          harvest(options.pools, answer, options.protectedIds);
          const reason = contractBreach(answer, request.url);
          if (reason) {
            figures.failures.push({ ...where, reason, answer: clip(answer) });
          }
        } catch (error) {
          figures.requests += 1;
          figures.failures.push({ ...where, reason: `inject threw: ${String(error)}` });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    options.onProgress?.(figures);
  }
  return figures;
}

const SYMBOLS = ["admin", "write", "read", "revoked"] as const;

/** The request with the world's secrets replaced by `<admin>`, `<write>` … (printable, replayable). */
export function symbolic(req: FuzzRequest, pools: FuzzPools): FuzzRequest {
  return mapSecrets(req, (text) => {
    let out = text;
    for (const name of SYMBOLS) out = out.split(pools.keys[name]).join(`<${name}>`);
    if (pools.pairingToken) out = out.split(pools.pairingToken).join("<pairing>");
    return out;
  });
}

/** The inverse of `symbolic` in another world. */
export function concrete(req: FuzzRequest, pools: FuzzPools): FuzzRequest {
  return mapSecrets(req, (text) => {
    let out = text;
    for (const name of SYMBOLS) out = out.split(`<${name}>`).join(pools.keys[name]);
    if (pools.pairingToken) out = out.split("<pairing>").join(pools.pairingToken);
    return out;
  });
}

function mapSecrets(req: FuzzRequest, f: (text: string) => string): FuzzRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = f(v);
  return {
    ...req,
    url: f(req.url),
    headers,
    ...(req.payload !== undefined ? { payload: f(req.payload) } : {}),
  };
}

function clip(answer: FuzzAnswer): { status: number; body: string } {
  return { status: answer.status, body: answer.body.slice(0, 600) };
}

/** A failing request in a form that can be pasted into a reproduction. */
export function describeFailure(f: FuzzFailure): string {
  const payload = f.request.payload;
  const shown = payload && payload.length > 400 ? `${payload.slice(0, 400)}…` : payload;
  return [
    `seed=${f.seed} batch=${f.batch} index=${f.index}: ${f.reason}`,
    `  ${f.request.method} ${f.request.url.slice(0, 300)}   (${f.request.op})`,
    `  headers ${JSON.stringify(f.request.headers).slice(0, 400)}`,
    shown !== undefined ? `  body ${JSON.stringify(shown)}` : "  no body",
    f.answer ? `  → ${f.answer.status} ${f.answer.body.slice(0, 300)}` : "",
  ].join("\n");
}
