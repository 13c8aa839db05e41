import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { PaymentRequired } from "@x402/core/types";
import { createPublicClient, HttpRequestError, type PublicClient, TimeoutError } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { createReceiptWatcher } from "../../src/x402/chain.ts";
import {
  chainOf,
  createEvmSigner,
  createLocalFacilitator,
  encodePaymentHeader,
} from "../../src/x402/index.ts";
import { x402Limits } from "../../src/x402/limits.ts";
import { rpcTransport } from "../../src/x402/rpc-transport.ts";
import {
  buyer,
  countingRpcProxy,
  gateOn,
  startX402Chain,
  type X402Chain,
} from "../support/x402-chain.ts";

const chain: X402Chain | null = await startX402Chain();
afterAll(async () => {
  await chain?.stop();
});
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

const clientOf = (url: string, timeout_ms = 5_000, batch = false) =>
  createPublicClient({
    chain: chainOf(31337, url),
    transport: rpcTransport(url, { timeout_ms, batch }),
  }) as PublicClient;

/** A loopback HTTP server that `answer`s each request; closed by the returned function. */
async function server(answer: (body: string, res: import("node:http").ServerResponse) => void) {
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (b: Buffer) => chunks.push(b));
    req.on("end", () => answer(Buffer.concat(chunks).toString("utf8"), res));
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    url,
    close: () => {
      s.closeAllConnections();
      s.close();
    },
  };
}

describe("the hub's JSON-RPC transport", () => {
  it("reports an endpoint that does not answer in time as a timeout (delivery unknown)", async () => {
    const silent = await server(() => undefined);
    try {
      await expect(clientOf(silent.url, 100).getBlockNumber()).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      silent.close();
    }
  });

  it("reports a refused connection as an HTTP request error (delivery unknown)", async () => {
    const gone = await server(() => undefined);
    gone.close();
    await expect(clientOf(gone.url).getBlockNumber()).rejects.toBeInstanceOf(HttpRequestError);
  });

  it("refuses an answer larger than its bound instead of reading it whole", async () => {
    const huge = await server((_body, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"jsonrpc":"2.0","id":1,"result":"0x${"0".repeat(11_000_000)}"}`);
    });
    try {
      await expect(clientOf(huge.url).getBlockNumber()).rejects.toBeInstanceOf(HttpRequestError);
    } finally {
      huge.close();
    }
  });
});

run("the hub's JSON-RPC calls on a real chain", () => {
  it("answers as the node does, one call or a batch", async () => {
    const c = need();
    const head = await c.pub.getBlockNumber({ cacheTime: 0 });
    expect(await clientOf(c.rpc_url).getBlockNumber({ cacheTime: 0 })).toBe(head);
    const batched = clientOf(c.rpc_url, 5_000, true);
    const [a, b] = await Promise.all([
      batched.getChainId(),
      batched.getBalance({ address: c.accounts.buyer.address }),
    ]);
    expect([a, b]).toEqual([
      c.chain_id,
      await c.pub.getBalance({ address: c.accounts.buyer.address }),
    ]);
  });

  it("delivers a receipt the first ask missed at once when mined, not a poll interval later", async () => {
    const c = need();
    // A poll interval far past the test's own timeout: only the follow-up asks can deliver.
    const watcher = createReceiptWatcher(clientOf(c.rpc_url, 5_000, true), {
      poll_interval_ms: 600_000,
      first_follow_up_ms: 2,
    });
    await c.setAutomine(false);
    try {
      const hash = await c.transfer(c.accounts.buyer, c.accounts.other.address, 1n, {
        wait: false,
      });
      const receipt = watcher.wait(hash, 30_000);
      await new Promise((r) => setTimeout(r, 20));
      expect(watcher.pending()).toBe(1);
      await c.mine(1);
      expect((await receipt).status).toBe("success");
      expect(watcher.pending()).toBe(0);
    } finally {
      await c.setAutomine(true);
    }
  }, 10_000);

  it("estimates a settlement's gas once, started as settling begins, and settles it", async () => {
    const c = need();
    const proxy = await countingRpcProxy(c.rpc_url);
    const calls = proxy.methods;
    try {
      const signer = createEvmSigner({
        rpc_url: proxy.url,
        chain_id: c.chain_id,
        private_key: c.gas_key,
      });
      const gate = gateOn(c, createLocalFacilitator({ signer, networks: [c.network] }));
      const unpaid = { headers: {}, amount_atomic: 10_000n, resource: { url: "http://x/rpc" } };
      const required = (await gate.challenge(unpaid, "Payment required")).payment_required;
      const payload = await buyer(c, c.accounts.buyer).client.createPaymentPayload(
        required as unknown as PaymentRequired,
      );
      const headers = { "payment-signature": encodePaymentHeader(payload) };
      const decision = await gate.check({ ...unpaid, headers });
      if (decision.kind !== "verified") throw new Error(`not verified: ${decision.kind}`);
      const before = await c.balanceOf(c.accounts.payee.address);
      calls.length = 0;
      const outcome = await decision.payment.settle();
      expect(outcome.status).toBe("settled");
      expect(calls.filter((m) => m === "eth_estimateGas")).toHaveLength(1);
      expect(await c.balanceOf(c.accounts.payee.address)).toBe(before + 10_000n);
    } finally {
      proxy.close();
    }
  });

  it("starts a settlement's estimate when work begins (prepare); settle claims it while fresh, not after it failed or aged", async () => {
    const c = need();
    const proxy = await countingRpcProxy(c.rpc_url);
    const calls = proxy.methods;
    try {
      const signer = createEvmSigner({
        rpc_url: proxy.url,
        chain_id: c.chain_id,
        private_key: c.gas_key,
      });
      const gate = gateOn(c, createLocalFacilitator({ signer, networks: [c.network] }));
      const paid = async () => {
        const unpaid = { headers: {}, amount_atomic: 10_000n, resource: { url: "http://x/rpc" } };
        const required = (await gate.challenge(unpaid, "Payment required")).payment_required;
        const payload = await buyer(c, c.accounts.buyer).client.createPaymentPayload(
          required as unknown as PaymentRequired,
        );
        const headers = { "payment-signature": encodePaymentHeader(payload) };
        const decision = await gate.check({ ...unpaid, headers });
        if (decision.kind !== "verified") throw new Error(`not verified: ${decision.kind}`);
        return decision.payment;
      };
      const estimates = () => proxy.count("eth_estimateGas");
      const until = async (n: number) => {
        for (let i = 0; i < 200 && estimates() < n; i++) await new Promise((r) => setTimeout(r, 5));
      };

      const fresh = await paid();
      calls.length = 0;
      fresh.prepare();
      await until(1);
      expect(estimates()).toBe(1);
      expect((await fresh.settle()).status).toBe("settled");
      expect(estimates()).toBe(1);

      // An early estimate that failed (the node timed out while the work ran) is dropped:
      // settle estimates again instead of failing on it.
      const failed = await paid();
      calls.length = 0;
      proxy.fail("eth_estimateGas");
      failed.prepare();
      await until(1);
      await new Promise((r) => setTimeout(r, 20));
      expect((await failed.settle()).status).toBe("settled");
      expect(estimates()).toBe(2);

      const stale = await paid();
      calls.length = 0;
      stale.prepare();
      await until(1);
      await new Promise((r) => setTimeout(r, x402Limits.preflight_ttl_ms + 100));
      expect((await stale.settle()).status).toBe("settled");
      expect(estimates()).toBe(2);
    } finally {
      proxy.close();
    }
  }, 20_000);
});
