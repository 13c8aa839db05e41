import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { PaymentPayload, PaymentRequired, SettleResponse } from "@x402/core/types";
import { toClientEvmSigner } from "@x402/evm";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { x402Client } from "@x402/fetch";
import type { HDAccount } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { addressOwnerId } from "../../src/flows/x402.ts";
import { createHub, type Hub } from "../../src/main.ts";
import { post, startX402Chain, type X402Chain } from "../support/x402-chain.ts";

// Started while collecting, so a machine without anvil skips the suite visibly.
const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

const TOOL = "answer-mcp.analyze_v1";
const PRICE = 30_000n; // 0.03 USDC

/** An x402 buyer as @x402/mcp builds one: a PaymentPayload object from a PaymentRequired. */
function payer(c: X402Chain, account: HDAccount) {
  return new x402Client()
    .register(c.network, new ExactEvmScheme(toClientEvmSigner(account, c.pub)))
    .setSpendControls({
      allowedAssets: [{ network: c.network, asset: c.token, maxAmountPerPayment: "1000000" }],
    });
}

/**
 * The x402 MCP transport on agx's /mcp, driven by the MCP SDK's own client over HTTP, paid on a
 * real chain (anvil + FiatToken) and settled by the hub's in-process facilitator.
 */
run("x402 over MCP tools/call (real chain, in-process facilitator)", () => {
  let hub: Hub;
  let url = "";
  let provider: Server;
  let failing = false;
  let admin = "";
  let mcp: Client;

  beforeAll(async () => {
    const c = need();
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (failing) return res.writeHead(500).end("down");
        res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"n":42}}');
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    const providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/run`;
    hub = await createHub(
      loadConfig({
        env: {},
        overrides: {
          env: "test",
          log_level: "silent",
          port: 0,
          host: "127.0.0.1",
          data_dir: mkdtempSync(`${tmpdir()}/agx-mcp-x402-`),
          outbound_allow_hosts: ["127.0.0.1"],
          hub_fee_bps: 1000,
          x402_pay_to: c.accounts.payee.address,
          x402_network: c.network,
          x402_asset: c.token,
          x402_rpc_url: c.rpc_url,
          x402_gas_key: c.gas_key,
        },
      }),
    );
    admin = hub.first_admin_key ?? "";
    url = await hub.listen();
    const seller = (await (
      await post(`${url}/api/agents/register`, { handle: "mcpseller" })
    ).json()) as { apiKey: string };
    const published = await fetch(`${url}/api/v1/catalog/services`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${seller.apiKey}` },
      body: JSON.stringify({
        name: "answer-mcp",
        version: "1.0.0",
        skill_key: "text.stats",
        description: "the answer, paid with x402 over MCP",
        company_name: "Deep Thought",
        execution_mode: "native",
        endpoints: [{ url: providerUrl, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.03" },
        rails: ["agx-ledger"],
      }),
    });
    expect(published.status).toBe(201);
    // An agent with a key and no balance: the only way it can pay is x402.
    const agent = (await (
      await post(`${url}/api/agents/register`, { handle: "mcpbuyer" })
    ).json()) as { apiKey: string };
    mcp = new Client({ name: "x402-agent", version: "1.0.0" });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${agent.apiKey}` } },
      }),
    );
  });
  afterAll(async () => {
    await mcp?.close();
    await hub?.close();
    provider?.close();
    await chain?.stop();
  });

  const ledgerOk = async () => {
    const v = await fetch(`${url}/api/v1/admin/ledger/verify`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    return (await v.json()) as { ok: boolean };
  };

  /** Calls the paid tool; returns the PaymentRequired of the unpaid answer. */
  async function paymentRequired(): Promise<PaymentRequired> {
    const unpaid = await mcp.callTool({ name: TOOL, arguments: { text: "x" } });
    expect(unpaid.isError).toBe(true);
    return unpaid.structuredContent as unknown as PaymentRequired;
  }

  it("answers an unpaid call with isError and the PaymentRequired, as structuredContent and text", async () => {
    const c = need();
    const unpaid = await mcp.callTool({ name: TOOL, arguments: { text: "x" } });
    expect(unpaid.isError).toBe(true);
    const required = unpaid.structuredContent as unknown as PaymentRequired;
    expect(required).toMatchObject({
      x402Version: 2,
      resource: { url: `mcp://tool/${TOOL}` },
      accepts: [
        {
          scheme: "exact",
          network: c.network,
          amount: PRICE.toString(),
          asset: c.token,
          payTo: c.accounts.payee.address,
        },
      ],
    });
    const content = unpaid.content as { type: string; text: string }[];
    expect(JSON.parse(content[0]?.text ?? "")).toEqual(required);
  });

  it("takes a payment in _meta: runs the tool, settles once on chain, returns the settlement", async () => {
    const c = need();
    const { buyer, payee } = c.accounts;
    const before = [await c.balanceOf(buyer.address), await c.balanceOf(payee.address)];
    const payload = await payer(c, buyer).createPaymentPayload(await paymentRequired());
    const paid = await mcp.callTool({
      name: TOOL,
      arguments: { text: "x" },
      _meta: { "x402/payment": payload },
    });
    expect(paid.isError, JSON.stringify(paid.structuredContent)).toBeFalsy();
    const out = paid.structuredContent as { result: unknown; order_id: string; rail: string };
    expect(out).toMatchObject({ success: true, result: { n: 42 }, rail: "x402" });
    const settled = paid._meta?.["x402/payment-response"] as SettleResponse;
    expect(settled).toMatchObject({ success: true, payer: buyer.address, network: c.network });
    expect(settled.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(String(paid._meta?.["org.peacprotocol/receipt_ref"])).toMatch(/^sha256:/);
    expect(await c.balanceOf(buyer.address)).toBe((before[0] ?? 0n) - PRICE);
    expect(await c.balanceOf(payee.address)).toBe((before[1] ?? 0n) + PRICE);
    const order = await hub.ctx.orders.get(hub.ctx.db.kysely, out.order_id);
    expect(order).toMatchObject({ status: "confirmed", rail: "x402" });
    expect(await ledgerOk()).toMatchObject({ ok: true });
  });

  it("pays through the generic invoke tool too", async () => {
    const c = need();
    const unpaid = await mcp.callTool({
      name: "invoke",
      arguments: { product_id: "answer-mcp", capability_id: "analyze@v1", input: { text: "y" } },
    });
    expect(unpaid.isError).toBe(true);
    const required = unpaid.structuredContent as unknown as PaymentRequired;
    const payload = await payer(c, c.accounts.buyer).createPaymentPayload(required);
    const paid = await mcp.callTool({
      name: "invoke",
      arguments: { product_id: "answer-mcp", capability_id: "analyze@v1", input: { text: "y" } },
      _meta: { "x402/payment": payload },
    });
    expect(paid.isError).toBeFalsy();
    expect(paid._meta?.["x402/payment-response"]).toMatchObject({ success: true });
  });

  it("lets a caller without any hub credential pay a call with x402 alone, booked to its address", async () => {
    const c = need();
    const anon = new Client({ name: "keyless-agent", version: "1.0.0" });
    await anon.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      const unpaid = await anon.callTool({ name: TOOL, arguments: { text: "k" } });
      expect(unpaid.isError).toBe(true);
      const required = unpaid.structuredContent as unknown as PaymentRequired;
      expect(required).toMatchObject({ x402Version: 2, accepts: [{ network: c.network }] });
      const payload = await payer(c, c.accounts.buyer).createPaymentPayload(required);
      const paid = await anon.callTool({
        name: TOOL,
        arguments: { text: "k" },
        _meta: { "x402/payment": payload },
      });
      expect(paid.isError, JSON.stringify(paid.structuredContent)).toBeFalsy();
      expect(paid._meta?.["x402/payment-response"]).toMatchObject({ success: true });
      const out = paid.structuredContent as { order_id: string };
      const order = await hub.ctx.orders.get(hub.ctx.db.kysely, out.order_id);
      expect(order.buyer_id).toBe(addressOwnerId(c.network, c.accounts.buyer.address));
      expect(await ledgerOk()).toMatchObject({ ok: true });
    } finally {
      await anon.close();
    }
  });

  it("refuses a replayed payment with PaymentRequired again; nothing moves", async () => {
    const c = need();
    const payload = await payer(c, c.accounts.buyer).createPaymentPayload(await paymentRequired());
    const call = () =>
      mcp.callTool({ name: TOOL, arguments: { text: "z" }, _meta: { "x402/payment": payload } });
    expect((await call()).isError).toBeFalsy();
    const before = await c.balanceOf(c.accounts.buyer.address);
    const again = await call();
    expect(again.isError).toBe(true);
    expect(again.structuredContent).toMatchObject({ x402Version: 2, accepts: [{}] });
    expect(again._meta?.["x402/payment-response"]).toBeUndefined();
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
  });

  it("refuses a tampered payment and a payload that is not one", async () => {
    const c = need();
    const payload = (await payer(c, c.accounts.buyer).createPaymentPayload(
      await paymentRequired(),
    )) as PaymentPayload & { payload: { authorization: { value: string } } };
    const tampered = structuredClone(payload);
    tampered.payload.authorization.value = "1";
    const bad = await mcp.callTool({
      name: TOOL,
      arguments: { text: "t" },
      _meta: { "x402/payment": tampered },
    });
    expect(bad.isError).toBe(true);
    expect((bad.structuredContent as { error: string }).error).toBeTruthy();
    const junk = await mcp.callTool({
      name: TOOL,
      arguments: { text: "t" },
      _meta: { "x402/payment": "not a payload" },
    });
    expect(junk.structuredContent).toMatchObject({ x402Version: 2, error: /invalid_payment/ });
  });

  it("never settles failed work: isError with the problem, no settlement, the buyer keeps the money", async () => {
    const c = need();
    const payload = await payer(c, c.accounts.buyer).createPaymentPayload(await paymentRequired());
    const before = await c.balanceOf(c.accounts.buyer.address);
    failing = true;
    try {
      const r = await mcp.callTool({
        name: TOOL,
        arguments: { text: "f" },
        _meta: { "x402/payment": payload },
      });
      expect(r.isError).toBe(true);
      expect(r.structuredContent).toMatchObject({ code: "EXECUTION_FAILED", settled: false });
      expect(r._meta?.["x402/payment-response"]).toBeUndefined();
    } finally {
      failing = false;
    }
    expect(await c.balanceOf(c.accounts.buyer.address)).toBe(before);
    expect(await ledgerOk()).toMatchObject({ ok: true });
  });
});
