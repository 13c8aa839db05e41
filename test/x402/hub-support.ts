import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/db.ts";
import { createHub, type Hub } from "../../src/main.ts";
import { post, type X402Chain } from "../support/x402-chain.ts";

/** A hub taking x402 on chain `c` and one seller's fixed-price service on a local provider. */
export interface X402Hub {
  hub: Hub;
  url: string;
  admin: string;
  seller: { apiKey: string };
  service_id: string;
  /** POST /capabilities/<name>/analyze@v1/invoke */
  invokeUrl: string;
  providerCalls: () => number;
  /** Makes the provider answer 500 (true) or the answer again (false). */
  setFailing(on: boolean): void;
  /** Makes the provider take this long to answer (0: at once). */
  setDelayMs(ms: number): void;
  ledgerOk(): Promise<{ ok: boolean; failures: unknown[] }>;
  close(): Promise<void>;
}

/** Starts the hub (SQLite in a temp dir unless given a database), the provider, registers a seller and publishes. */
export async function startX402Hub(
  c: X402Chain,
  options: {
    name: string;
    price: string;
    overrides?: Record<string, unknown>;
    /** The rails the service lists (default: agx-ledger and offchain-record). */
    rails?: string[];
    /** The hub's database (default: SQLite in the temp dir). */
    database?: Database;
    /**
     * Where the work runs (default: the local HTTP provider); `builtin:text.stats#analyze` runs
     * the hub's built-in skill in process, as the x402 reference server answers in process.
     */
    endpoint_url?: string;
  },
): Promise<X402Hub> {
  let calls = 0;
  let failing = false;
  let delay_ms = 0;
  const provider: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      calls++;
      if (failing) return res.writeHead(500).end("down");
      const answer = () =>
        res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"n":42}}');
      if (delay_ms > 0) setTimeout(answer, delay_ms);
      else answer();
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  const providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/run`;
  const hub = await createHub(
    loadConfig({
      env: {},
      overrides: {
        env: "test",
        log_level: "silent",
        port: 0,
        host: "127.0.0.1",
        data_dir: mkdtempSync(`${tmpdir()}/agx-x402-`),
        outbound_allow_hosts: ["127.0.0.1"],
        hub_fee_bps: 1000,
        x402_pay_to: c.accounts.payee.address,
        x402_network: c.network,
        x402_asset: c.token,
        x402_rpc_url: c.rpc_url,
        x402_gas_key: c.gas_key,
        // The seller resells a built-in skill (the hub runs it in process).
        builtin_resale: options.endpoint_url?.startsWith("builtin:") ?? false,
        ...options.overrides,
      },
    }),
    options.database ? { database: options.database } : {},
  );
  const admin = hub.first_admin_key ?? "";
  const url = await hub.listen();
  const seller = (await (
    await post(`${url}/api/agents/register`, { handle: `${options.name}-seller` })
  ).json()) as { apiKey: string };
  const published = await fetch(`${url}/api/v1/catalog/services`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${seller.apiKey}` },
    body: JSON.stringify({
      name: options.name,
      version: "1.0.0",
      skill_key: "text.stats",
      description: "the answer, paid on chain",
      company_name: "Deep Thought",
      execution_mode: "native",
      endpoints: [{ url: options.endpoint_url ?? providerUrl, method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: options.price },
      rails: options.rails ?? ["agx-ledger", "offchain-record"],
    }),
  });
  if (published.status !== 201) throw new Error(`publish: ${await published.text()}`);
  const svc = (await published.json()) as { id?: string; service?: { id: string } };
  return {
    hub,
    url,
    admin,
    seller,
    service_id: svc.id ?? svc.service?.id ?? "",
    invokeUrl: `${url}/capabilities/${options.name}/analyze@v1/invoke`,
    providerCalls: () => calls,
    setFailing: (on) => {
      failing = on;
    },
    setDelayMs: (ms) => {
      delay_ms = ms;
    },
    async ledgerOk() {
      const v = await fetch(`${url}/api/v1/admin/ledger/verify`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      return (await v.json()) as { ok: boolean; failures: unknown[] };
    },
    async close() {
      await hub.close();
      provider.close();
    },
  };
}
