import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import { marketHandlers, outboundUrlCheck } from "../../src/compose.ts";
import type { ConfigOverrides } from "../../src/config.ts";
import type { Database } from "../../src/db/db.ts";
import {
  composeMarket,
  type MarketOptions,
  marketModuleHandlers,
} from "../../src/flows/market-compose.ts";
import type { App } from "../../src/http/app.ts";
import { installAuth } from "../../src/http/auth.ts";
import { installIdempotency } from "../../src/http/idempotency.ts";
import { installProblemHandlers } from "../../src/http/problems.ts";
import {
  type MarketRouteContext,
  registerMarketRoutes,
} from "../../src/http/routes/market/index.ts";
import { validatorCompiler } from "../../src/http/validation.ts";
import type { ManualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { createOutboxWorker, type OutboxWorker } from "../../src/outbox/index.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field.
export type Reply = { status: number; body: any; headers: Record<string, unknown> };

export interface MarketHub {
  hub: TestHub;
  app: FastifyInstance;
  ctx: MarketRouteContext;
  /** The outbox worker with the hub's, the market's and the webhooks' handlers. */
  worker: OutboxWorker;
  call(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    url: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Reply>;
  /** A new agent principal (id and write key), funded with `funds` USDC when given. */
  agent(funds?: string): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

/**
 * The hub's pieces plus the market and webhooks modules, assembled without touching the hub's
 * wiring: the same auth, problem handler, validator and idempotency as buildApp.
 */
export async function startMarketHub(options: {
  database: Database;
  clock: ManualClock;
  config?: ConfigOverrides;
  market?: Omit<MarketOptions, "checkUrl">;
}): Promise<MarketHub> {
  const hub = await startTestHub({
    database: options.database,
    clock: options.clock,
    config: { outbound_allow_hosts: ["127.0.0.1"], ...options.config },
  });
  const base = hub.hub.ctx;
  // As src/compose.ts composes the hub's market: deadlines from the config, unless overridden.
  const parts = composeMarket(base, {
    checkUrl: outboundUrlCheck(base.config),
    review_start_after_ms: base.config.market_review_start_after_ms,
    auto_accept_after_ms: base.config.market_auto_accept_after_ms,
    ...options.market,
  });
  const ctx: MarketRouteContext = { ...base, ...parts };
  const app = Fastify({
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.removeContentTypeParser("text/plain");
  installProblemHandlers(app);
  installAuth(app, ctx);
  installIdempotency(app, ctx);
  registerMarketRoutes(app as unknown as App, ctx);
  await app.ready();
  const worker = createOutboxWorker({
    db: base.db,
    clock: options.clock,
    logger: base.logger,
    handlers: { ...marketHandlers(base), ...marketModuleHandlers({ db: base.db, ...parts }) },
  });

  async function call(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    url: string,
    o: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    const res = await app.inject({
      method,
      url,
      headers,
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
    });
    let body: unknown = res.body;
    try {
      body = JSON.parse(res.body);
    } catch {}
    return { status: res.statusCode, body, headers: res.headers };
  }

  async function agent(funds?: string) {
    const handle = `m${Math.random().toString(36).slice(2, 12)}`;
    const reg = await hub.call("POST", "/api/agents/register", { body: { handle } });
    if (reg.status !== 201) throw new Error(`registration failed: ${JSON.stringify(reg.body)}`);
    if (funds) {
      const dep = await hub.call("POST", "/api/v1/admin/deposits", {
        key: hub.adminKey,
        body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: funds, asset: "USDC" },
      });
      if (dep.status >= 300) throw new Error(`deposit failed: ${JSON.stringify(dep.body)}`);
    }
    return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
  }

  return {
    hub,
    app,
    ctx,
    worker,
    call,
    agent,
    async close() {
      await app.close();
      await hub.close();
    },
  };
}

/** The available balance of a principal in minor units of USDC. */
export async function available(mh: MarketHub, key: string): Promise<bigint> {
  const res = await mh.hub.call("GET", "/api/v1/balances", { key });
  const acc = res.body.items.find(
    (a: { kind: string; asset: string }) => a.kind === "available" && a.asset === "USDC",
  );
  return BigInt(acc?.available_minor ?? "0");
}

/** The ledger proves itself: zero sums, balances equal entries, holds add up. */
export async function ledgerFailures(mh: MarketHub): Promise<unknown[]> {
  return (await mh.ctx.ledger.verify(mh.ctx.db.kysely)).failures;
}
