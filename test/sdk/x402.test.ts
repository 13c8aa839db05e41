import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import type { SettleResponse } from "@x402/core/types";
import { toClientEvmSigner } from "@x402/evm";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createHub, type Hub } from "../../src/main.ts";
import { AgxClient, AgxProblem } from "../../src/sdk/index.ts";
import { decodeHeaderJson } from "../../src/x402/index.ts";
import { startX402Chain, type X402Chain } from "../support/x402-chain.ts";

// Started while collecting, so a machine without anvil skips the suite visibly.
const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

const PAID = ["answer-sdk", "analyze@v1"] as const;

/** The SDK's x402 hook: an @x402/fetch wrapper pays the hub's 402 on a real chain. */
run("AgxClient with an @x402/fetch payment wrapper (real chain)", () => {
  let hub: Hub;
  let url = "";
  let provider: Server;
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
          data_dir: mkdtempSync(`${tmpdir()}/agx-sdk-x402-`),
          outbound_allow_hosts: ["127.0.0.1"],
          x402_pay_to: c.accounts.payee.address,
          x402_network: c.network,
          x402_asset: c.token,
          x402_rpc_url: c.rpc_url,
          x402_gas_key: c.gas_key,
        },
      }),
    );
    url = await hub.listen();
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"words":2}}');
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const port = (provider.address() as AddressInfo).port;
    const { apiKey } = await new AgxClient({ url }).registerAgent({ handle: "sdkseller" });
    await new AgxClient({ url, apiKey }).publishService({
      name: PAID[0],
      version: "1.0.0",
      skill_key: "text.stats",
      description: "word count, paid with x402",
      company_name: "Tests",
      execution_mode: "native",
      endpoints: [{ url: `http://127.0.0.1:${port}/run`, method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: "0.02" },
      rails: ["agx-ledger"],
    });
  });
  afterAll(async () => {
    provider?.close();
    await hub?.close();
    await chain?.stop();
  });

  it("pays a 402 with x402 and retries under its own Idempotency-Key; unwrapped it throws 402", async () => {
    const c = need();
    // No key: the payer is known by its address, as on any x402 resource.
    const refused = await new AgxClient({ url })
      .invoke(...PAID, { text: "a b" })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AgxProblem);
    expect((refused as AgxProblem).payment?.x402_header).toBeTruthy();

    const payer = new x402Client()
      .register(c.network, new ExactEvmScheme(toClientEvmSigner(c.accounts.buyer, c.pub)))
      .setSpendControls({
        allowedAssets: [{ network: c.network, asset: c.token, maxAmountPerPayment: "1000000" }],
      });
    const seen: Headers[] = [];
    const recording: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      seen.push(new Headers(request.headers));
      return fetch(request);
    };
    const paying = new AgxClient({
      url,
      fetch: recording,
      payments: (f) => wrapFetchWithPayment(f, payer),
    });
    const before = await c.balanceOf(c.accounts.buyer.address);
    const res = await paying.request<{ success: boolean; result: { words: number } }>(
      "POST",
      `/capabilities/${PAID[0]}/${PAID[1]}/invoke`,
      { body: { input: { text: "a b" } }, idempotencyKey: "idem-sdk-x402" },
    );
    expect(res.body).toMatchObject({ success: true, result: { words: 2 } });
    const settled = decodeHeaderJson<SettleResponse>(res.headers.get("payment-response") ?? "");
    expect(settled.success).toBe(true);
    expect(seen.map((h) => h.get("idempotency-key"))).toEqual([
      "idem-sdk-x402",
      "idem-sdk-x402.paid",
    ]);
    expect(seen[1]?.get("payment-signature")).toBeTruthy();
    expect(await c.balanceOf(c.accounts.buyer.address)).toBeLessThan(before);
  });
});
