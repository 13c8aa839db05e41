import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../../test/support/hub.ts";
import { type FuzzPools, type Operation, operationsOf } from "./fuzz-requests.ts";

/** A live in-process hub with credentials of every kind and the operations of its document. */
export interface FuzzWorld {
  t: TestHub;
  ops: Operation[];
  pools: FuzzPools;
  /** Ids the fuzzer must not revoke or delete (its own keys), or it would fuzz itself out. */
  protectedIds: Set<string>;
}

async function must(
  t: TestHub,
  method: "GET" | "POST" | "DELETE",
  url: string,
  o: { key?: string; body?: unknown } = {},
) {
  const res = await t.call(method, url, o);
  if (res.status >= 300)
    throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Builds the world: the operator's key, a funded agent with write, read and revoked keys, and a
 * published service so that purchases reach the ledger.
 */
export async function startFuzzWorld(
  options: { log_level?: "silent" | "error" } = {},
): Promise<FuzzWorld> {
  const t = await startTestHub({
    config: {
      outbound_allow_hosts: [],
      builtin_resale: true,
      log_level: options.log_level ?? "silent",
    },
  });
  const doc = (await t.call("GET", "/openapi.json")).body;
  const ops = operationsOf(doc);
  const reg = await must(t, "POST", "/api/agents/register", { body: { handle: "fuzzer" } });
  const write = reg.apiKey as string;
  const principal = reg.agent.id as string;
  const read = await must(t, "POST", "/api/v1/keys", { key: write, body: { scope: "read" } });
  const doomed = await must(t, "POST", "/api/v1/keys", { key: write, body: { scope: "write" } });
  await must(t, "DELETE", `/api/v1/keys/${doomed.key.id}`, { key: write });
  await must(t, "POST", "/api/v1/admin/deposits", {
    key: t.adminKey,
    body: { id: newId("dep"), owner_id: principal, amount: "1000", asset: "USDC" },
  });
  const keys = await must(t, "GET", "/api/v1/keys", { key: write });
  const admin = await must(t, "GET", "/api/v1/keys", { key: t.adminKey });
  const protectedIds = new Set<string>([
    ...keys.items.map((k: { id: string }) => k.id),
    ...admin.items.map((k: { id: string }) => k.id),
  ]);
  const pools: FuzzPools = {
    keys: { admin: t.adminKey, write, read: read.secret, revoked: doomed.secret },
    pairingToken: null,
    ids: new Map([["prin", [principal]]]),
  };
  return { t, ops, pools, protectedIds };
}
