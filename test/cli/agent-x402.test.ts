import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientExitCodes } from "../../src/cli/hub-client.ts";
import { loadConfig } from "../../src/config.ts";
import { createHub, type Hub } from "../../src/main.ts";
import { AgxClient } from "../../src/sdk/index.ts";
import { startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { agx } from "./harness.ts";

vi.setConfig({ testTimeout: 120_000 });

// Started while collecting, so a machine without anvil skips the suite visibly.
const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;
const GOAL = "tally the galactic answer";

/** `agx agent shop --rail x402`: the reference agent pays each call on chain from its wallet. */
run("agx agent shop --rail x402 (real chain, in-process facilitator)", () => {
  let hub: Hub;
  let provider: Server;
  let env: Record<string, string> = {};
  beforeAll(async () => {
    const c = need();
    hub = await createHub(
      loadConfig({
        env: {},
        overrides: {
          env: "test",
          log_level: "silent",
          port: 0,
          host: "127.0.0.1",
          data_dir: mkdtempSync(`${tmpdir()}/agx-cli-x402-`),
          outbound_allow_hosts: ["127.0.0.1"],
          x402_pay_to: c.accounts.payee.address,
          x402_network: c.network,
          x402_asset: c.token,
          x402_rpc_url: c.rpc_url,
          x402_gas_key: c.gas_key,
        },
      }),
    );
    const url = await hub.listen();
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () =>
        res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"n":42}}'),
      );
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const port = (provider.address() as AddressInfo).port;
    const { apiKey: sellerKey } = await new AgxClient({ url }).registerAgent({ handle: "clisel" });
    await new AgxClient({ url, apiKey: sellerKey }).publishService({
      name: "galactic-answer",
      version: "1.0.0",
      skill_key: "text.stats",
      description: "tally the galactic answer, paid with x402",
      company_name: "Deep Thought",
      execution_mode: "native",
      endpoints: [{ url: `http://127.0.0.1:${port}/run`, method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: "0.02" },
      rails: ["agx-ledger"],
    });
    // A buyer with a key but no balance on the hub: only its wallet can pay.
    const { apiKey } = await new AgxClient({ url }).registerAgent({ handle: "clibuyer" });
    env = {
      AGX_URL: url,
      AGX_KEY: apiKey,
      AGX_WALLET_KEY: toHex(c.accounts.buyer.getHdKey().privateKey as Uint8Array),
    };
  });
  afterAll(async () => {
    provider?.close();
    await hub?.close();
    await chain?.stop();
  });

  it("buys on chain within the budget, and every receipt verifies", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.buyer.address);
    const r = await agx(
      ["agent", "shop", "--goal", GOAL, "--budget", "0.05", "--rail", "x402", "--json"],
      env,
    );
    expect(r.code, r.err + r.out).toBe(clientExitCodes.ok);
    const report = JSON.parse(r.out) as {
      purchases: { service: string; charged: string; receipts: { valid: boolean }[] }[];
      spent: string;
      receipts_invalid: number;
      channel: unknown;
    };
    const bought = report.purchases.find((p) => p.service.startsWith("galactic-answer"));
    expect(bought?.charged).toBe("0.02");
    expect(bought?.receipts.every((x) => x.valid)).toBe(true);
    expect(report.receipts_invalid).toBe(0);
    expect(report.channel).toBeNull();
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before - 20_000n);
  });

  it("pays nothing when the budget is below the quote", async () => {
    const c = need();
    const before = await c.balanceOf(c.accounts.buyer.address);
    const r = await agx(
      ["agent", "shop", "--goal", GOAL, "--budget", "0.01", "--rail", "x402", "--json"],
      env,
    );
    expect(r.code, r.err).toBe(clientExitCodes.ok);
    expect(
      JSON.parse(r.out).purchases.filter((p: { service: string }) =>
        p.service.startsWith("galactic"),
      ),
    ).toEqual([]);
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
  });

  it("refuses --rail x402 without a wallet key, before calling the hub", async () => {
    const r = await agx(["agent", "shop", "--goal", GOAL, "--budget", "0.05", "--rail", "x402"], {
      ...env,
      AGX_WALLET_KEY: "",
    });
    expect(r.code).toBe(clientExitCodes.usage);
    expect(r.err).toContain("AGX_WALLET_KEY");
  });
});
