/**
 * The in-process facilitator's settle path, A/B in one run on one anvil: verify + settle of
 * real @x402/fetch payloads through the hub's signer (`createEvmSigner`) vs its previous version
 * (bench/x402-signer-baseline.ts: receipts polled at viem's 4 s default). Each side has its own gas wallet; rounds alternate to spread box load.
 * `BLOCK_TIME_S` (default 0: a block per transaction) mines blocks on an interval instead.
 * `RPC_DELAY_MS` (default 0) puts a proxy adding that much latency to every JSON-RPC call of
 * the signers, as a remote RPC endpoint would.
 * Run: `node bin/run-ts.js bench/x402-settle.ts` (`BENCH_SCALE`, default 0.2).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { PaymentRequired, PaymentRequirements } from "@x402/core/types";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { createEvmSigner, createLocalFacilitator, type Hex } from "../src/x402/index.ts";
import { buyer, gateOn, startX402Chain, type X402Chain } from "../test/support/x402-chain.ts";
import { elapsedMs, percentile } from "./support.ts";
import { createEvmSigner as baselineSigner } from "./x402-signer-baseline.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const PRICE = 10_000n;
const keyOf = (i: number) =>
  toHex(mnemonicToAccount(MNEMONIC, { addressIndex: i }).getHdKey().privateKey as Uint8Array);

type Make = typeof createEvmSigner;

async function payloads(c: X402Chain, n: number) {
  const gate = gateOn(
    c,
    createLocalFacilitator({
      signer: createEvmSigner({
        rpc_url: c.rpc_url,
        chain_id: c.chain_id,
        private_key: keyOf(8),
      }),
      networks: [c.network],
    }),
  );
  const challenge = await gate.challenge(
    { headers: {}, amount_atomic: PRICE, resource: { url: "http://bench/x", description: "x" } },
    "pay",
  );
  const required = challenge.payment_required as unknown as PaymentRequired;
  const client = buyer(c, c.accounts.buyer).client;
  const out = [];
  for (let i = 0; i < n; i++) out.push(await client.createPaymentPayload(required));
  return { out, requirements: required.accepts[0] as PaymentRequirements };
}

/** A JSON-RPC proxy to `target` answering each call `delay_ms` late. */
async function slowRpc(target: string, delay_ms: number) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (b: Buffer) => chunks.push(b));
    req.on("end", async () => {
      await new Promise((r) => setTimeout(r, delay_ms));
      const answer = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: Buffer.concat(chunks),
      });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}

let rpc_url = "";

async function round(c: X402Chain, make: Make, key: Hex, n: number, clients: number) {
  const facilitator = createLocalFacilitator({
    signer: make({ rpc_url, chain_id: c.chain_id, private_key: key }),
    networks: [c.network],
  });
  const { out, requirements } = await payloads(c, n);
  const ms: number[] = [];
  let next = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < out.length) {
        const p = out[next++];
        const t = process.hrtime.bigint();
        const v = await facilitator.verify(p as never, requirements);
        const s = v.isValid ? await facilitator.settle(p as never, requirements) : null;
        if (!s?.success) failed++;
        ms.push(elapsedMs(t));
      }
    }),
  );
  return { per_s: n / (elapsedMs(t0) / 1000), p50_ms: percentile(ms, 0.5), failed };
}

const scale = Number(process.env.BENCH_SCALE ?? "0.2");
const n = Math.max(10, Math.round(100 * scale));
const c = await startX402Chain();
if (!c) throw new Error("anvil could not start");
const delay_ms = Number(process.env.RPC_DELAY_MS ?? "0");
const proxy = delay_ms > 0 ? await slowRpc(c.rpc_url, delay_ms) : null;
rpc_url = proxy?.url ?? c.rpc_url;
const block_time_s = Number(process.env.BLOCK_TIME_S ?? "0");
if (block_time_s > 0) {
  await c.setAutomine(false);
  await c.pub.request({ method: "evm_setIntervalMining", params: [block_time_s] } as never);
}
console.log(`RPC latency added: ${delay_ms} ms; block time: ${block_time_s || "automine"} s`);
try {
  for (const clients of [1, 10]) {
    const sums = {
      agx: [] as number[],
      base: [] as number[],
      agx50: [] as number[],
      base50: [] as number[],
    };
    let failed = 0;
    for (let r = 0; r < 2; r++) {
      const b = await round(c, baselineSigner as Make, keyOf(6), n, clients);
      const a = await round(c, createEvmSigner, keyOf(7), n, clients);
      sums.base.push(b.per_s);
      sums.agx.push(a.per_s);
      sums.base50.push(b.p50_ms);
      sums.agx50.push(a.p50_ms);
      failed += a.failed + b.failed;
    }
    const avg = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    console.log(
      `verify+settle, ${clients} client(s), ${n} payments x 2 rounds: ` +
        `now ${avg(sums.agx).toFixed(1)}/s p50 ${avg(sums.agx50).toFixed(0)} ms, ` +
        `before ${avg(sums.base).toFixed(1)}/s p50 ${avg(sums.base50).toFixed(0)} ms, ` +
        `ratio ${(avg(sums.agx) / avg(sums.base)).toFixed(2)}x, failed ${failed}`,
    );
  }
} finally {
  proxy?.close();
  await c.stop();
}
process.exit(0);
