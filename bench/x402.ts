/**
 * x402: paid calls through agx's invoke route vs the reference stack, on the same anvil with the
 * same @x402/fetch buyer. agx: POST /capabilities/…/invoke with its in-process facilitator
 * (verify, run the work, settle, book on the ledger, PEAC receipt); the work is the built-in
 * text-stats skill, in process as the reference's constant answer is (a seller's HTTP provider
 * would add a hop the reference does not make: bench/x402-cpu.ts measures that). Reference: a
 * bare node:http server using @x402/core's x402HTTPResourceServer + HTTPFacilitatorClient and a
 * local facilitator (@x402/core x402Facilitator + @x402/evm exact, viem nonceManager) served over
 * HTTP, answering a constant JSON. Also EIP-3009 signature checks per second: agx's
 * `verifyEip3009Signature` (EIP-712 digest from bytes with cached domain separators; a known
 * payer checked against its cached key table, an unknown one recovered through the pool) vs
 * viem's `verifyTypedData`. `bench/x402-trace.ts` counts the hub's JSON-RPC calls per paid call.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { x402Facilitator } from "@x402/core/facilitator";
import {
  HTTPFacilitatorClient,
  type HTTPRequestContext,
  x402HTTPResourceServer,
  x402ResourceServer,
} from "@x402/core/server";
import type { Network, PaymentPayload, PaymentRequirements } from "@x402/core/types";
import { toFacilitatorEvmSigner } from "@x402/evm";
import { ExactEvmScheme as ExactFacilitator } from "@x402/evm/exact/facilitator";
import { ExactEvmScheme as ExactServer } from "@x402/evm/exact/server";
import {
  type Abi,
  createPublicClient,
  createWalletClient,
  type Hex,
  http as httpTransport,
  nonceManager,
  verifyTypedData,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { chainOf, verifyEip3009Signature } from "../src/x402/index.ts";
import { buyer, startX402Chain, type X402Chain } from "../test/support/x402-chain.ts";
import { startX402Hub } from "../test/x402/hub-support.ts";
import { elapsedMs, pad, percentile, ratioText } from "./support.ts";

const PRICE = 20_000n;
const DOMAIN = { name: "USD Coin", version: "2" };
const MNEMONIC = "test test test test test test test test test test test junk";

export interface X402Phase {
  calls_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

export interface X402Result {
  rows: { case: string; clients: number; agx: X402Phase; reference: X402Phase }[];
  signatures: { agx_per_s: number; viem_per_s: number; n: number };
}

type Pay = (url: string) => Promise<Response>;

async function phase(url: string, pay: Pay, total: number, clients: number): Promise<X402Phase> {
  const ms: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        next++;
        const t = process.hrtime.bigint();
        const res = await pay(url).catch(() => null);
        ms.push(elapsedMs(t));
        if (res?.status !== 200) errors++;
        await res?.arrayBuffer();
      }
    }),
  );
  const seconds = elapsedMs(t0) / 1000;
  return {
    calls_per_s: total / seconds,
    p50_ms: percentile(ms, 0.5),
    p99_ms: percentile(ms, 0.99),
    errors,
  };
}

/** The reference facilitator over HTTP (`/verify`, `/settle`, `/supported`). */
async function referenceFacilitator(c: X402Chain): Promise<{ url: string; close: () => void }> {
  const account = mnemonicToAccount(MNEMONIC, { addressIndex: 6, nonceManager });
  const chain = chainOf(c.chain_id, c.rpc_url);
  const transport = httpTransport(c.rpc_url);
  const pub = createPublicClient({ chain, transport });
  const wallet = createWalletClient({ account, chain, transport });
  const signer = toFacilitatorEvmSigner({
    address: account.address,
    readContract: (a) => pub.readContract({ ...a, abi: a.abi as Abi }),
    verifyTypedData: (a) => pub.verifyTypedData(a as never),
    getCode: (a) => pub.getCode(a),
    waitForTransactionReceipt: (a) => pub.waitForTransactionReceipt(a),
    writeContract: (a) => wallet.writeContract({ ...a, abi: a.abi as Abi } as never),
    sendTransaction: (a) => wallet.sendTransaction(a),
  });
  const core = new x402Facilitator().register(c.network as Network, new ExactFacilitator(signer));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (b: Buffer) => chunks.push(b));
    req.on("end", async () => {
      const send = (body: unknown) =>
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      try {
        if (req.url === "/supported") return send(core.getSupported());
        const b = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          paymentPayload: PaymentPayload;
          paymentRequirements: PaymentRequirements;
        };
        if (req.url === "/verify")
          return send(await core.verify(b.paymentPayload, b.paymentRequirements));
        return send(await core.settle(b.paymentPayload, b.paymentRequirements));
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}

/** The reference resource server: POST /paid for PRICE, settled after a constant answer. */
async function referenceServer(c: X402Chain, facilitatorUrl: string) {
  const resource = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitatorUrl }));
  resource.register(c.network as Network, new ExactServer());
  const routes = {
    "POST /paid": {
      accepts: {
        scheme: "exact",
        network: c.network as Network,
        payTo: c.accounts.payee.address,
        price: { amount: PRICE.toString(), asset: c.token, extra: DOMAIN },
        maxTimeoutSeconds: 120,
      },
      description: "the answer",
    },
  };
  const paid = new x402HTTPResourceServer(resource, routes);
  await paid.initialize();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      const header = (n: string) => {
        const v = req.headers[n.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      };
      const paymentHeader = header("payment-signature");
      const context: HTTPRequestContext = {
        adapter: {
          getHeader: header,
          getMethod: () => req.method ?? "POST",
          getPath: () => (req.url ?? "/").split("?")[0] ?? "/",
          getUrl: () => `http://${req.headers.host}${req.url}`,
          getAcceptHeader: () => header("accept") ?? "*/*",
          getUserAgent: () => header("user-agent") ?? "",
        },
        path: (req.url ?? "/").split("?")[0] ?? "/",
        method: req.method ?? "POST",
        ...(paymentHeader ? { paymentHeader } : {}),
      };
      const r = await paid.processHTTPRequest(context);
      if (r.type === "payment-error") {
        res.writeHead(r.response.status, r.response.headers).end(JSON.stringify(r.response.body));
        return;
      }
      const body = JSON.stringify({ success: true, result: { n: 42 } });
      if (r.type === "no-payment-required") return void res.writeHead(200).end(body);
      const s = await paid.processSettlement(r.paymentPayload, r.paymentRequirements);
      if (!s.success) {
        res.writeHead(s.response.status, s.response.headers).end(JSON.stringify(s.response.body));
        return;
      }
      res.writeHead(200, { ...s.headers, "content-type": "application/json" }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/paid`;
  return { url, close: () => server.close() };
}

/** The reference stack: its facilitator over HTTP and the resource server in front of it. */
export async function referenceStack(c: X402Chain): Promise<{ url: string; close: () => void }> {
  const fac = await referenceFacilitator(c);
  const ref = await referenceServer(c, fac.url);
  return {
    url: ref.url,
    close: () => {
      ref.close();
      fac.close();
    },
  };
}

/** EIP-3009 authorizations signed by the buyer, as @x402/fetch would send them. */
async function authorizations(c: X402Chain, n: number) {
  const a = c.accounts.buyer;
  const domain = { ...DOMAIN, chainId: c.chain_id, verifyingContract: c.token };
  const types = {
    TransferWithAuthorization: [
      { name: "from", type: "address" },
      { name: "to", type: "address" },
      { name: "value", type: "uint256" },
      { name: "validAfter", type: "uint256" },
      { name: "validBefore", type: "uint256" },
      { name: "nonce", type: "bytes32" },
    ],
  } as const;
  const out = [];
  for (let i = 0; i < n; i++) {
    const nonce = `0x${i.toString(16).padStart(64, "0")}` as Hex;
    const message = {
      from: a.address,
      to: c.accounts.payee.address,
      value: PRICE,
      validAfter: 0n,
      validBefore: 2_000_000_000n,
      nonce,
    };
    const signature = await a.signTypedData({
      domain,
      types,
      primaryType: "TransferWithAuthorization",
      message,
    });
    out.push({ domain, types, message, signature });
  }
  return out;
}

async function signatureRates(c: X402Chain, n: number) {
  const auths = await authorizations(c, n);
  const terms = { network: c.network, asset: c.token, eip712: DOMAIN };
  const payloadOf = (x: (typeof auths)[number]) =>
    ({
      x402Version: 2,
      payload: {
        signature: x.signature,
        authorization: {
          ...x.message,
          value: x.message.value.toString(),
          validAfter: "0",
          validBefore: x.message.validBefore.toString(),
        },
      },
    }) as never;
  const rate = async (check: (x: (typeof auths)[number]) => Promise<boolean>) => {
    for (const x of auths.slice(0, 20)) await check(x);
    // At most SIGNATURE_CHECKS_IN_FLIGHT at once: the hub's verifier pool sheds load past its
    // queue bound (RATE_LIMITED), as a server should; the bench measures throughput, not that.
    const all: boolean[] = [];
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: Math.min(SIGNATURE_CHECKS_IN_FLIGHT, auths.length) }, async () => {
        for (let i = next++; i < auths.length; i = next++) {
          const x = auths[i];
          if (x) all[i] = await check(x);
        }
      }),
    );
    if (all.some((ok) => !ok)) throw new Error("a valid authorization did not verify");
    return n / (elapsedMs(t0) / 1000);
  };
  const viem = await rate((x) =>
    verifyTypedData({ ...x, address: x.message.from, primaryType: "TransferWithAuthorization" }),
  );
  const agx = await rate((x) => verifyEip3009Signature(payloadOf(x), terms));
  return { agx_per_s: agx, viem_per_s: viem, n };
}

const SIGNATURE_CHECKS_IN_FLIGHT = 256;

/** Paid calls/s and p50/p99 of agx vs the reference stack, and signature checks/s. */
export async function benchX402(scale: number): Promise<X402Result> {
  const c = await startX402Chain();
  if (!c) throw new Error("anvil could not start: the x402 section needs it");
  try {
    const hub = await startX402Hub(c, {
      name: "bench-x402",
      price: "0.02",
      endpoint_url: "builtin:text.stats#analyze",
    });
    const fac = await referenceFacilitator(c);
    const ref = await referenceServer(c, fac.url);
    try {
      const client = buyer(c, c.accounts.buyer);
      const pay: Pay = (url) => client.post(url, { input: { text: "x" } });
      const n = Math.max(10, Math.round(60 * scale));
      await phase(hub.invokeUrl, pay, 5, 1);
      await phase(ref.url, pay, 5, 1);
      const rows = [];
      for (const clients of [1, 10]) {
        const total = clients === 1 ? n : n * 2;
        const reference = await phase(ref.url, pay, total, clients);
        const agx = await phase(hub.invokeUrl, pay, total, clients);
        rows.push({ case: "paid call (402 + pay)", clients, agx, reference });
      }
      const ledger = await hub.ledgerOk();
      if (!ledger.ok) throw new Error("the ledger does not verify after the x402 bench");
      const signatures = await signatureRates(c, Math.max(200, Math.round(2_000 * scale)));
      return { rows, signatures };
    } finally {
      ref.close();
      fac.close();
      await hub.close();
    }
  } finally {
    await c.stop();
  }
}

/** The table of benchX402's rows. */
export function x402Table(r: X402Result): string {
  const lines = [
    "\nx402: paid calls through agx vs the reference stack (@x402/core resource server + local " +
      "facilitator over HTTP), same anvil, same @x402/fetch buyer\n",
    `${"case".padEnd(24)}${pad("clients", 8)}${pad("agx/s", 8)}${pad("ref/s", 8)}` +
      `${pad("ratio", 7)}${pad("p50 agx", 9)}${pad("ref", 7)}${pad("ratio", 7)}` +
      `${pad("p99 agx", 9)}${pad("ref", 7)}${pad("errors", 8)}`,
  ];
  const f = (x: number) => x.toFixed(0);
  for (const row of r.rows) {
    const { agx, reference: ref } = row;
    lines.push(
      `${row.case.padEnd(24)}${pad(String(row.clients), 8)}${pad(agx.calls_per_s.toFixed(1), 8)}` +
        `${pad(ref.calls_per_s.toFixed(1), 8)}${pad(ratioText(agx.calls_per_s, ref.calls_per_s), 7)}` +
        `${pad(f(agx.p50_ms), 9)}${pad(f(ref.p50_ms), 7)}${pad(ratioText(agx.p50_ms, ref.p50_ms), 7)}` +
        `${pad(f(agx.p99_ms), 9)}${pad(f(ref.p99_ms), 7)}${pad(`${agx.errors}/${ref.errors}`, 8)}`,
    );
  }
  const s = r.signatures;
  lines.push(
    `\nEIP-3009 signature checks (${s.n} authorizations, all in flight): agx ` +
      `${f(s.agx_per_s)}/s, viem verifyTypedData ${f(s.viem_per_s)}/s, ratio ` +
      `${ratioText(s.agx_per_s, s.viem_per_s)}`,
    "\nratios: throughput agx/reference (target ≥ 1.5), p50 agx/reference (target ≤ 0.7), " +
      "signatures agx/viem (target ≥ 3)\n",
  );
  return lines.join("\n");
}
