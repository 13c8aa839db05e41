import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { minorToDecimal } from "../../kernel/money.ts";
import { Problem } from "../../kernel/problem.ts";
import { receiptHeaders } from "../../receipts/index.ts";
import type { AppContext } from "../context.ts";
import { peacProblems } from "./problems.ts";

/** The parts of an access policy (peac.txt) that a governed route enforces. */
export interface EnforcementPolicy {
  usage: "open" | "conditional";
  /** Purposes allowed; null allows any declared or undeclared purpose. */
  purposes_allowed: string[] | null;
  purposes_prohibited: string[];
  /** Requests a caller may make for free per window before the price applies. */
  free_quota: { count: number; window_ms: number } | null;
  rate_limit: { count: number; window_ms: number } | null;
  price: { amount_minor: bigint; asset: string; decimals: number } | null;
  payment_methods: string[];
  attribution: "required" | "optional" | "none";
  attribution_format: string | null;
  /** `sha256:<hex>` of the JCS policy: every decision receipt names the policy it applied. */
  digest: string;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** Run PEAC policy enforcement (purpose, quota, rate limit, price) on this route. */
    peac?: boolean;
  }
}

const PURPOSE_TOKEN = /^[a-z][a-z0-9_]*(?::[a-z][a-z0-9_]*)?$/;

/** Reads `PEAC-Purpose` (comma-separated tokens, case-insensitive name). */
export function declaredPurposes(request: FastifyRequest): string[] {
  const raw = request.headers["peac-purpose"];
  if (raw === undefined) return [];
  const text = Array.isArray(raw) ? raw.join(",") : raw;
  const tokens = text
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "");
  const bad = tokens.find((t) => !PURPOSE_TOKEN.test(t));
  if (bad !== undefined || tokens.length > 16) {
    throw new Problem(
      peacProblems.PEAC_PURPOSE_INVALID,
      "PEAC-Purpose takes up to 16 purpose tokens",
    );
  }
  return tokens;
}

type Decision =
  | { allow: true; purpose: string | null; reason: string }
  | { allow: false; problem: Problem; purpose: string | null; reason: string };

async function decide(
  ctx: AppContext,
  policy: EnforcementPolicy,
  request: FastifyRequest,
): Promise<Decision> {
  const purposes = declaredPurposes(request);
  const prohibited = purposes.find((p) => policy.purposes_prohibited.includes(p));
  if (prohibited) {
    return deny(
      peacProblems.PEAC_PURPOSE_DENIED,
      prohibited,
      `purpose ${prohibited} is prohibited`,
    );
  }
  const allowed = policy.purposes_allowed;
  const purpose =
    allowed === null ? (purposes[0] ?? null) : (purposes.find((p) => allowed.includes(p)) ?? null);
  if (allowed !== null && policy.usage === "conditional" && purpose === null) {
    const named = purposes.length ? purposes.join(", ") : "none";
    return deny(
      peacProblems.PEAC_PURPOSE_DENIED,
      null,
      `declared purposes (${named}) are not allowed`,
    );
  }
  const who = request.caller ? request.caller.principal.id : `ip:${request.ip}`;
  if (policy.rate_limit) {
    const rate = await ctx.ratelimit.hit(ctx.db.kysely, {
      bucket: `peac:rate:${who}`,
      window_ms: policy.rate_limit.window_ms,
      max: policy.rate_limit.count,
    });
    const remaining = Math.max(0, policy.rate_limit.count - rate.hits);
    const reset_s = Math.ceil(rate.retry_after_ms / 1000);
    request.peacHeaders = {
      "RateLimit-Limit": String(policy.rate_limit.count),
      "RateLimit-Remaining": String(remaining),
      "RateLimit-Reset": String(reset_s),
    };
    if (!rate.allowed) {
      return deny(peacProblems.PEAC_RATE_LIMITED, purpose, "rate limit reached", {
        "Retry-After": String(reset_s),
      });
    }
  }
  if (policy.price && policy.price.amount_minor > 0n) {
    const free = policy.free_quota
      ? await ctx.ratelimit.hit(ctx.db.kysely, {
          bucket: `peac:free:${who}`,
          window_ms: policy.free_quota.window_ms,
          max: policy.free_quota.count,
        })
      : null;
    if (!free?.allowed) return paymentRequired(policy, purpose);
    return {
      allow: true,
      purpose,
      reason: `free quota (${free.hits}/${policy.free_quota?.count})`,
    };
  }
  return { allow: true, purpose, reason: "allowed by policy" };
}

function deny(
  spec: Problem["spec"],
  purpose: string | null,
  reason: string,
  headers: Record<string, string> = {},
): Decision {
  return { allow: false, purpose, reason, problem: new Problem(spec, reason, { headers }) };
}

function paymentRequired(policy: EnforcementPolicy, purpose: string | null): Decision {
  const price = policy.price;
  if (!price) throw new Error("paymentRequired needs a price");
  const amount = minorToDecimal(price.amount_minor, price.decimals);
  const problem = new Problem(
    peacProblems.PEAC_PAYMENT_REQUIRED,
    `the free quota is used up; each request costs ${amount} ${price.asset}`,
    {
      extensions: {
        payment: {
          amount,
          amount_minor: price.amount_minor.toString(),
          asset: price.asset,
          methods: policy.payment_methods,
        },
        policy_digest: policy.digest,
      },
    },
  );
  return { allow: false, purpose, reason: "payment required", problem };
}

declare module "fastify" {
  interface FastifyRequest {
    peacHeaders: Record<string, string> | null;
  }
}

/**
 * PEAC L2–L3 enforcement for routes with `config: { peac: true }`: purpose scoping, rate limit
 * and free quota (counted in the database, so correct across hub processes), price → 402, the
 * attribution requirement echoed, and a signed decision receipt on every answer.
 */
export function installPeacEnforcement(
  app: FastifyInstance,
  ctx: AppContext,
  policyOf: () => EnforcementPolicy | null,
): void {
  app.decorateRequest("peacHeaders", null);
  app.addHook("preHandler", async (request, reply) => {
    if (!request.routeOptions.config?.peac) return;
    const policy = policyOf();
    if (!policy) return;
    const decision = await decide(ctx, policy, request);
    await stampDecision(ctx, policy, request, reply, decision);
    if (!decision.allow) throw decision.problem;
  });
}

async function stampDecision(
  ctx: AppContext,
  policy: EnforcementPolicy,
  request: FastifyRequest,
  reply: FastifyReply,
  decision: Decision,
): Promise<void> {
  const subject = request.caller ? request.caller.principal.id : `ip:${request.ip}`;
  const receipt = await ctx.receipts.issue(ctx.db.kysely, {
    kind: "decision",
    subject,
    ...(decision.purpose ? { purpose: decision.purpose } : {}),
    terms_hash: policy.digest,
    details: {
      decision: decision.allow ? "allow" : "deny",
      reason: decision.reason,
      resource: request.routeOptions.url ?? request.url,
      method: request.method,
    },
  });
  const url = `${ctx.publicUrl()}/peac/receipts/${receipt.id}`;
  reply.headers({ ...request.peacHeaders, ...receiptHeaders(receipt, url) });
  reply.header("vary", "PEAC-Purpose");
  if (decision.purpose) reply.header("PEAC-Purpose-Applied", decision.purpose);
  reply.header("PEAC-Purpose-Reason", decision.reason);
  if (policy.attribution === "required") {
    reply.header("PEAC-Attribution", policy.attribution_format ?? "required");
  }
}
