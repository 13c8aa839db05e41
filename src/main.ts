import type { AddressInfo } from "node:net";
import { catalogMigrations } from "./catalog/index.ts";
import { channelMigrations } from "./channels/index.ts";
import { composeContext, marketHandlers } from "./compose.ts";
import { type Config, sqliteFileOf } from "./config.ts";
import { type Database, type DatabaseTarget, openDatabase } from "./db/db.ts";
import { type AgxMigration, migrateToLatest } from "./db/migrate.ts";
import { delegationMigrations } from "./delegation/index.ts";
import { dpopMigrations } from "./dpop/index.ts";
import { federationLimits, federationMigrations } from "./federation/index.ts";
import { marketModuleHandlers } from "./flows/market-compose.ts";
import { seedBuiltins } from "./flows/seed-builtins.ts";
import { type App, buildApp } from "./http/app.ts";
import type { AppContext } from "./http/context.ts";
import { idempotencyMigrations } from "./idempotency/index.ts";
import { identityMigrations } from "./identity/index.ts";
import { type Clock, systemClock } from "./kernel/clock.ts";
import { limits } from "./kernel/limits.ts";
import { createLogger, type Logger } from "./kernel/logger.ts";
import { ledgerMigrations } from "./ledger/index.ts";
import { machineMigrations } from "./machines/index.ts";
import { marketMigrations } from "./market/index.ts";
import { orderMigrations } from "./orders/index.ts";
import {
  createOutboxWorker,
  type OutboxHandler,
  outboxMigrations,
  startTasks,
  type Task,
} from "./outbox/index.ts";
import { pipelineMigrations } from "./pipelines/index.ts";
import { ratelimitMigrations } from "./ratelimit/index.ts";
import { receiptMigrations } from "./receipts/index.ts";
import { sessionMigrations } from "./sessions/index.ts";
import { statsLimits, statsMigrations } from "./stats/index.ts";
import { webhookMigrations } from "./webhooks/index.ts";
import { x402Migrations } from "./x402/index.ts";

/** Every module's migrations; names are globally ordered by their numeric prefix. */
export const allMigrations: Record<string, AgxMigration> = {
  ...identityMigrations,
  ...idempotencyMigrations,
  ...outboxMigrations,
  ...ratelimitMigrations,
  ...ledgerMigrations,
  ...receiptMigrations,
  ...dpopMigrations,
  ...catalogMigrations,
  ...orderMigrations,
  ...channelMigrations,
  ...machineMigrations,
  ...delegationMigrations,
  ...marketMigrations,
  ...webhookMigrations,
  ...federationMigrations,
  ...x402Migrations,
  ...pipelineMigrations,
  ...statsMigrations,
  ...sessionMigrations,
};

/** Where the configuration says the data lives. */
export function databaseTargetOf(config: Config): DatabaseTarget {
  if (config.database_url) {
    return {
      kind: "postgres",
      url: config.database_url,
      ...(config.database_schema ? { schema: config.database_schema } : {}),
    };
  }
  return { kind: "sqlite", file: sqliteFileOf(config) };
}

export interface Hub {
  app: App;
  ctx: AppContext;
  /** Set on first start when no admin key was configured: print it once, never log it. */
  first_admin_key: string | null;
  /** Starts listening; resolves to the URL actually bound (port 0 picks a free one). */
  listen(): Promise<string>;
  /** Runs background work (outbox, hold expiry, purges) until close. */
  startWorkers(): void;
  /** Graceful stop: in-flight requests finish, workers stop, then the database closes. */
  close(): Promise<void>;
}

/** The composition root: config → db → migrations → modules → HTTP. */
export async function createHub(
  config: Config,
  options: {
    clock?: Clock;
    logger?: Logger;
    database?: Database;
    handlers?: Record<string, OutboxHandler>;
  } = {},
): Promise<Hub> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.log_level });
  const db = options.database ?? openDatabase(databaseTargetOf(config));
  await migrateToLatest(db, allMigrations);
  let boundUrl = `http://${config.host}:${config.port}`;
  const publicUrl = () => config.public_url ?? boundUrl;
  const ctx = composeContext({ config, db, clock, logger, publicUrl });
  const operator = await db.transaction(async (tx) => {
    await ctx.ledger.registerAssets(tx, config.assets);
    await ctx.keys.ensure(tx);
    const op = await ctx.identity.ensureOperator(
      tx,
      config.admin_key ? { admin_secret: config.admin_key } : {},
    );
    await seedBuiltins(tx, ctx.catalog, op.principal.id);
    return op;
  });
  if (!config.builtin_resale) {
    // Published before builtin: endpoints were the operator's alone (or while resale was on).
    const resold = await ctx.catalog.resoldBuiltins(db.kysely, operator.principal.id, 20);
    if (resold.length > 0) {
      logger.warn(
        { services: resold.map((s) => ({ id: s.id, name: s.name, provider_id: s.provider_id })) },
        "sellers sell the hub's built-in skills (builtin: endpoints) though AGX_BUILTIN_RESALE is off: retire them, or turn resale on",
      );
    }
  }
  const app = await buildApp(ctx);
  const worker = createOutboxWorker({
    db,
    clock,
    logger,
    handlers: { ...marketHandlers(ctx), ...marketModuleHandlers(ctx), ...options.handlers },
  });
  let tasks: ReturnType<typeof startTasks> | null = null;

  return {
    app,
    ctx,
    first_admin_key: operator.new_secret,
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address() as AddressInfo;
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      boundUrl = `http://${host}:${address.port}`;
      return boundUrl;
    },
    startWorkers() {
      tasks = startTasks(backgroundTasks(ctx, worker), logger);
    },
    async close() {
      const grace = setTimeout(() => app.server.closeAllConnections?.(), limits.shutdown_grace_ms);
      grace.unref();
      await app.close();
      await ctx.pipelineFlows.stop();
      clearTimeout(grace);
      await tasks?.stop();
      await worker.idle();
      if (!options.database) await db.close();
    },
  };
}

/** The periodic work one hub process does; safe to run in several processes at once. */
function backgroundTasks(ctx: AppContext, worker: ReturnType<typeof createOutboxWorker>): Task[] {
  const { db } = ctx;
  return [
    { name: "outbox", interval_ms: limits.outbox_poll_interval_ms, run: worker.pump },
    {
      name: "expire-holds",
      interval_ms: limits.sweep_interval_ms,
      run: () => db.transaction((tx) => ctx.ledger.expireHolds(tx, limits.outbox_batch_size)),
    },
    {
      name: "rotate-receipt-keys",
      interval_ms: limits.sweep_interval_ms * 60,
      run: async () => {
        const rotated = await db.transaction((tx) =>
          ctx.keys.rotateIfDue(tx, ctx.config.receipt_key_rotation_ms),
        );
        if (rotated) ctx.logger.info(rotated, "rotated the receipt signing key");
        return 0;
      },
    },
    {
      name: "recover-interrupted-orders",
      interval_ms: Math.min(limits.sweep_interval_ms * 6, ctx.config.execution_timeout_ms),
      run: () =>
        ctx.fulfilment.recoverStuck(ctx.clock.now_ms() - ctx.config.execution_timeout_ms * 2),
    },
    {
      name: "resume-pipelines",
      interval_ms: limits.sweep_interval_ms,
      run: () => ctx.pipelineFlows.resumeStale(),
    },
    {
      name: "federation-crawl",
      interval_ms: federationLimits.crawl_tick_ms,
      run: async () =>
        (await ctx.federation.crawlDue()).length + (await ctx.routing.recoverStuck()),
    },
    {
      name: "refresh-service-health",
      interval_ms: statsLimits.health_refresh_interval_ms,
      run: async () => {
        await db.transaction((tx) => ctx.stats.refreshHealth(tx));
        return 0; // one pass per interval: "more to do" would re-run it at once
      },
    },
    {
      name: "purge-machine-challenges",
      interval_ms: limits.sweep_interval_ms * 12,
      run: () => ctx.machines.purgeExpired(db.kysely),
    },
    {
      name: "purge-pairing-challenges",
      interval_ms: limits.sweep_interval_ms * 12,
      run: () => ctx.delegation.purgeExpired(db.kysely),
    },
    {
      name: "purge-dpop-jtis",
      interval_ms: limits.sweep_interval_ms * 12,
      run: () => ctx.dpop.purgeExpired(db.kysely),
    },
    {
      name: "purge-idempotency",
      interval_ms: limits.sweep_interval_ms * 12,
      run: () => ctx.idempotency.purgeExpired(db.kysely),
    },
    {
      name: "purge-rate-windows",
      interval_ms: limits.sweep_interval_ms * 12,
      run: async () => {
        await ctx.ratelimit.purge(db.kysely, ctx.clock.now_ms() - limits.register_window_ms * 2);
        return 0;
      },
    },
  ];
}
