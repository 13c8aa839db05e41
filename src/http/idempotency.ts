import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Tx } from "../db/db.ts";
import { type IdempotencyScope, isValidIdempotencyKey } from "../idempotency/index.ts";
import { sha256Hex } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import type { AppContext } from "./context.ts";
import { PROBLEM_MEDIA_TYPE } from "./problems.ts";

interface IdemState {
  scope: IdempotencyScope;
  token: string;
  done: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    idem: IdemState | null;
  }
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/**
 * Outcomes that depend on the moment, not the request: never replayed. A 402 is one of them: the
 * client pays (tops up, opens a channel, signs an x402 payment) and retries with the same key.
 */
const NOT_STORED = new Set([401, 402, 403, 409, 429]);

/** Whose keys these are: the key's principal, a paired agent's token (by digest), or the address. */
function ownerOf(request: FastifyRequest): string {
  if (request.caller) return request.caller.principal.id;
  const agent = request.headers["x-agent-pairing-token"];
  if (typeof agent === "string") return `agent:${sha256Hex(agent).slice(0, 32)}`;
  return `anon:${request.ip}`;
}

function scopeOf(request: FastifyRequest, key: string): IdempotencyScope {
  return {
    owner: ownerOf(request),
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    key,
  };
}

/**
 * Idempotency-Key on every state-changing route. Reserved after validation (so an invalid body
 * never burns a key); the response is stored in the route's own transaction through `writeTx`, or
 * after sending for routes without one; a 5xx releases the key so the client may retry.
 */
export function installIdempotency(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest("idem", null);
  app.addHook("preHandler", async (request, reply) => {
    if (!STATE_CHANGING.has(request.method)) return;
    const raw = request.headers["idempotency-key"];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? "" : raw.trim().replace(/^"(.*)"$/, "$1");
    if (!isValidIdempotencyKey(key)) {
      throw new Problem(
        kernelProblems.IDEMPOTENCY_KEY_INVALID,
        "Idempotency-Key must be 1–255 printable ASCII characters, sent once",
      );
    }
    const scope = scopeOf(request, key);
    const fingerprint = { params: request.params, query: request.query, body: request.body };
    const begun = await ctx.idempotency.begin(ctx.db.kysely, scope, fingerprint);
    if (begun.kind === "replay") {
      const { status, body, headers } = begun.response;
      reply.headers(headers).header("idempotent-replayed", "true").code(status);
      if (status >= 400) reply.type(PROBLEM_MEDIA_TYPE);
      else if (typeof body !== "string") reply.type("application/json; charset=utf-8");
      return reply.serializer((p: unknown) => JSON.stringify(p)).send(body);
    }
    request.idem = { scope, token: begun.token, done: false };
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const idem = request.idem;
    if (!idem || idem.done) return payload;
    idem.done = true;
    const status = reply.statusCode;
    if (status >= 500 || NOT_STORED.has(status) || typeof payload !== "string") {
      await ctx.idempotency.release(ctx.db.kysely, idem.scope, idem.token);
      return payload;
    }
    await ctx.idempotency.complete(ctx.db.kysely, idem.scope, idem.token, {
      status,
      body: parseOrText(payload),
      headers: storedHeaders(reply),
    });
    return payload;
  });
}

function parseOrText(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

/** Headers that are part of the answer, so a replay carries them too (receipts, settlements). */
const REPLAYED_HEADERS = [
  "location",
  "peac-receipt",
  "peac-receipt-pointer",
  "payment-response",
  "x-payment-response",
];

function storedHeaders(reply: FastifyReply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (typeof value === "string") out[name] = value;
  }
  return out;
}

/**
 * Runs a route's writes in one transaction and, when the request carries an Idempotency-Key,
 * stores its response in that same transaction, so a crash can never separate the effect from
 * the record of it.
 */
export async function writeTx<T>(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number | ((result: T) => number),
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  let code = typeof status === "number" ? status : 200;
  const body = await ctx.db.transaction(async (tx) => {
    const result = await work(tx);
    if (typeof status === "function") code = status(result);
    const idem = request.idem;
    if (idem && !idem.done) {
      const wire = JSON.parse(
        JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
      );
      await ctx.idempotency.complete(tx, idem.scope, idem.token, {
        status: code,
        body: wire,
        headers: {},
      });
    }
    return result;
  });
  if (request.idem) request.idem.done = true;
  reply.code(code);
  return body;
}
