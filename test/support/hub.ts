import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConfigOverrides, loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/db.ts";
import type { Clock } from "../../src/kernel/clock.ts";
import { createHub, type Hub } from "../../src/main.ts";

export interface TestHub {
  hub: Hub;
  adminKey: string;
  /** app.inject with JSON in and parsed JSON out. */
  call(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A hub in-process on a given database (or a fresh SQLite file), silent, for app.inject. */
export async function startTestHub(
  options: { database?: Database; clock?: Clock; config?: ConfigOverrides } = {},
): Promise<TestHub> {
  const config = loadConfig({
    env: {},
    overrides: {
      env: "test",
      log_level: "silent",
      port: 0,
      data_dir: mkdtempSync(join(tmpdir(), "agx-hub-")),
      ...options.config,
    },
  });
  const hub = await createHub(config, {
    ...(options.database ? { database: options.database } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const adminKey = hub.first_admin_key ?? (await issueAdminKey(hub));
  return {
    hub,
    adminKey,
    async call(method, url, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.key) headers.authorization = `Bearer ${o.key}`;
      const res = await hub.app.inject({
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
    close: () => hub.close(),
  };
}

/** A second hub on a database that already has an operator: mint another admin key. */
async function issueAdminKey(hub: Hub): Promise<string> {
  const { ctx } = hub;
  return ctx.db.transaction(async (tx) => {
    const op = await ctx.identity.ensureOperator(tx, {});
    return (await ctx.identity.issueKey(tx, op.principal.id, { scope: "admin", label: "test" }))
      .secret;
  });
}
