import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, it } from "vitest";
import { createStore, HubNode, newAdminKey } from "../../stress/support/cluster.ts";
import { Api } from "../../stress/support/ops.ts";
import { principal } from "../../stress/support/ops-world.ts";

/**
 * The crash harness's first finding, pinned: a paid invoke whose process dies after the money
 * moved but before its Idempotency-Key record was completed. A retry with the same key after
 * the reservation lapses must find the first purchase, not buy a second time.
 */
let provider: Server;
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

it("a retried invoke after a SIGKILL mid-call charges once (same Idempotency-Key)", async () => {
  let calls = 0;
  let reached: () => void = () => {};
  const firstCall = new Promise<void>((r) => {
    reached = r;
  });
  provider = createServer((req, res) => {
    calls++;
    req.resume();
    if (calls === 1) return reached(); // the first call hangs until the hub dies
    res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"ok":true}}');
  });
  await new Promise<void>((r) => provider.listen(0, "127.0.0.1", r));
  cleanup.push(async () => void provider.close());
  const url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/run`;

  const { store, drop } = await createStore("sqlite");
  const admin = newAdminKey();
  const node = new HubNode({ store, admin_key: admin, env: { AGX_IDEMPOTENCY_LOCK_MS: "2000" } });
  cleanup.push(drop, () => node.stop());
  await node.start();
  const api = new Api(() => [node.url]);
  const seller = await principal(api, admin, "replayseller", "0.01");
  const buyer = await principal(api, admin, "replaybuyer", "1");
  await api.must("POST", "/api/v1/catalog/services", {
    key: seller.key,
    body: {
      name: "hangs-once",
      version: "1.0.0",
      skill_key: "text.stats",
      description: "hangs on the first call",
      company_name: "Replay",
      execution_mode: "native",
      endpoints: [{ url, method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: "0.25" },
      rails: ["agx-ledger"],
    },
  });
  const invoke = {
    key: buyer.key,
    idem: "invoke-once-1",
    body: { input: { text: "once" } },
  };
  const path = "/capabilities/hangs-once/analyze@v1/invoke";
  const inFlight = api.once("POST", path, invoke).catch(() => null);
  await firstCall;
  await node.kill();
  await inFlight;
  await node.start();

  const retried = await api.call("POST", path, invoke);
  expect(retried.kind).toBe("acked");
  const orders = await api.must("GET", "/api/v1/market/orders", { key: buyer.key });
  expect(orders.items).toHaveLength(1);
}, 120_000);
