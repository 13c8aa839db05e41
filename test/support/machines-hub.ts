import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import { type Migration, Migrator } from "kysely";
import { outboundUrlCheck } from "../../src/compose.ts";
import type { Database } from "../../src/db/db.ts";
import type { AgxMigration } from "../../src/db/migrate.ts";
import {
  createDelegation,
  type Delegation,
  delegationMigrations,
} from "../../src/delegation/index.ts";
import type { App } from "../../src/http/app.ts";
import { installAuth } from "../../src/http/auth.ts";
import { installIdempotency } from "../../src/http/idempotency.ts";
import { installProblemHandlers } from "../../src/http/problems.ts";
import {
  type MachineRouteContext,
  registerMachineRoutes,
} from "../../src/http/routes/machines/index.ts";
import { validatorCompiler } from "../../src/http/validation.ts";
import type { ManualClock } from "../../src/kernel/clock.ts";
import {
  type ControllerResolver,
  createMachines,
  didPkhResolver,
  type Machines,
  machineMigrations,
  registryResolver,
} from "../../src/machines/index.ts";
import { allMigrations } from "../../src/main.ts";
import { startTestHub, type TestHub } from "./hub.ts";

export const PAIRING_SECRET = "test-pairing-secret-0123456789abcdef-xyz";
export const ENDPOINT_KEY = new Uint8Array(32).fill(9);

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field.
type Reply = { status: number; body: any; headers: Record<string, unknown> };

export interface MachinesHub {
  /** The ordinary test hub (registration, keys, the operator's admin key). */
  hub: TestHub;
  /** A Fastify app with the hub's auth, problems and idempotency plus the machine routes. */
  app: FastifyInstance;
  ctx: MachineRouteContext;
  machines: Machines;
  delegation: Delegation;
  call(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Reply>;
  close(): Promise<void>;
}

/**
 * Applies migrations that may sort before ones the database already ran (this module's 05xx
 * after another module's 06xx): until the hub registers them, tests add them out of order.
 */
async function migrateUnordered(db: Database, migrations: Record<string, AgxMigration>) {
  const provided: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(migrations)) {
    provided[name] = { up: (k) => m.up(k, db.dialect) };
  }
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => provided },
    migrationTableName: "agx_migrations",
    migrationLockTableName: "agx_migrations_lock",
    allowUnorderedMigrations: true,
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/**
 * The hub's pieces plus the machines and delegation modules, assembled without touching the
 * hub's wiring: same auth, problem handler, validator and idempotency as buildApp.
 */
export async function startMachinesHub(options: {
  database?: Database;
  clock: ManualClock;
  resolvers?: ControllerResolver[];
}): Promise<MachinesHub> {
  const hub = await startTestHub({
    ...(options.database ? { database: options.database } : {}),
    clock: options.clock,
  });
  const base = hub.hub.ctx;
  await migrateUnordered(base.db, {
    ...allMigrations,
    ...machineMigrations,
    ...delegationMigrations,
  });
  const hubName = () => base.publicUrl();
  const machines = createMachines({
    clock: options.clock,
    hub: hubName,
    resolvers: options.resolvers ?? [registryResolver(), didPkhResolver()],
    endpoint_secret_key: ENDPOINT_KEY,
    checkUrl: outboundUrlCheck(base.config),
  });
  const delegation = createDelegation({
    clock: options.clock,
    hub: hubName,
    token_secrets: { current: PAIRING_SECRET },
  });
  const ctx: MachineRouteContext = { ...base, machines, delegation };
  const app = Fastify({
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.removeContentTypeParser("text/plain");
  installProblemHandlers(app);
  installAuth(app, ctx);
  installIdempotency(app, ctx);
  registerMachineRoutes(app as unknown as App, ctx);
  await app.ready();
  return {
    hub,
    app,
    ctx,
    machines,
    delegation,
    async call(method, url, o = {}) {
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
    },
    async close() {
      await app.close();
      await hub.close();
    },
  };
}

/** A fresh agent principal's write key, registered through the hub's own route. */
export async function newPrincipalKey(mh: MachinesHub, prefix = "p"): Promise<string> {
  const handle = `${prefix}${Math.random().toString(36).slice(2, 12)}`;
  const res = await mh.hub.call("POST", "/api/agents/register", { body: { handle } });
  if (res.status !== 201) throw new Error(`registration failed: ${JSON.stringify(res.body)}`);
  return res.body.apiKey as string;
}

/** Challenge → personal_sign → POST /api/v1/machines; returns the response. */
export async function proveAndRegister(
  mh: MachinesHub,
  key: string,
  signer: { signMessage(args: { message: string }): Promise<string> },
  identityRef: string,
  extra: Record<string, unknown> = {},
): Promise<Reply> {
  const c = await mh.call("POST", "/api/v1/machine-identity/challenges", {
    key,
    body: { identityRef },
  });
  if (c.status !== 201) return c;
  const signature = await signer.signMessage({ message: c.body.item.message });
  return mh.call("POST", "/api/v1/machines", {
    key,
    body: {
      identityRef,
      displayName: "Rover",
      identityProof: { challengeId: c.body.item.challengeId, signature },
      ...extra,
    },
  });
}
