import { randomBytes } from "node:crypto";
import type { Api, Body } from "./support/ops.ts";
import {
  newMachine,
  newPairing,
  type Principal,
  principal,
  type World,
} from "./support/ops-world.ts";

/**
 * How to call each state-changing operation of the OpenAPI document with a valid request whose
 * preconditions are fresh (a new order in the right state, a new listing …), so the same call
 * can be made twice: once as a control, once dropped and retried.
 */

export interface Req {
  method: string;
  path: string;
  key?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Driver = (w: RetryWorld) => Promise<Req>;

export interface RetryWorld extends World {
  api: Api;
  buyer: Principal;
  seller: Principal;
  machine_id: string;
}

const uniq = () => randomBytes(6).toString("hex");
const input = () => ({ algorithm: "sha256", data: uniq() });

/** A fresh escrow order of the world's buyer, advanced to `stage`. */
async function order(w: RetryWorld, stage: "created" | "pending" | "ready" | "delivered") {
  const o = await w.api.must("POST", "/api/v1/market/orders", {
    key: w.buyer.key,
    body: { service_id: w.service.id, input: input(), rail: "escrow" },
  });
  const base = `/api/v1/market/orders/${o.id}`;
  const step = (p: string) => w.api.must("POST", `${base}/${p}`, { key: w.buyer.key, body: {} });
  if (stage !== "created") await step("payment-intent");
  if (stage === "ready" || stage === "delivered") await step("payment/escrow-lock");
  if (stage === "delivered") await step("execute");
  return base;
}

/** A fresh market order between buyer and seller, advanced to `stage`. */
async function marketOrder(w: RetryWorld, stage: "negotiating" | "awaiting" | "escrowed") {
  const l = await w.api.must("POST", "/api/market/listings", {
    key: w.buyer.key,
    body: {
      kind: "bounty",
      title: `retry ${uniq()}`,
      description: "retries",
      category: "stress",
      price: { type: "fixed", amount: "0.1" },
      asset: "USDC",
    },
  });
  const n = await w.api.must("POST", "/api/market/negotiations", {
    key: w.seller.key,
    body: { sourceType: "bounty", sourceId: l.id },
  });
  const id = n.order.id as string;
  const fire = (who: Principal, event: string) =>
    w.api.must("PATCH", `/api/market/orders/${id}`, { key: who.key, body: { event } });
  if (stage !== "negotiating") {
    await fire(w.buyer, "agree");
    await fire(w.seller, "agree");
  }
  if (stage === "escrowed") await fire(w.buyer, "fund");
  return { id, listing: l.id as string, thread: n.thread.id as string };
}

async function completedMarketOrder(w: RetryWorld): Promise<string> {
  const { id } = await marketOrder(w, "escrowed");
  const fire = (who: Principal, body: Body) =>
    w.api.must("PATCH", `/api/market/orders/${id}`, { key: who.key, body });
  await fire(w.seller, { event: "start" });
  await fire(w.seller, { event: "submit_proof", proof: { text: "done" } });
  await fire(w.buyer, { event: "start_review" });
  await fire(w.buyer, { event: "accept" });
  return id;
}

async function webhook(w: RetryWorld): Promise<string> {
  const made = await w.api.must("POST", "/api/v1/webhooks", {
    key: w.buyer.key,
    body: { url: "http://127.0.0.1:9/hook", event_types: ["order.*"] },
  });
  return made.endpoint.id as string;
}

async function channel(w: RetryWorld): Promise<string> {
  const opened = await w.api.must("POST", "/ai-market/channel/open", {
    key: w.buyer.key,
    body: { deposit: "0.05" },
  });
  return opened.channel.channel_id as string;
}

const post = (path: string, key: string, body: unknown = {}): Req => ({
  method: "POST",
  path,
  key,
  body,
});

/** One driver per operationId; operations without one are listed with the reason. */
export const drivers: Record<string, Driver> = {
  createKey: async (w) => post("/api/v1/keys", w.buyer.key, { scope: "read", label: uniq() }),
  revokeKey: async (w) => {
    const k = await w.api.must("POST", "/api/v1/keys", {
      key: w.buyer.key,
      body: { scope: "read" },
    });
    return { method: "DELETE", path: `/api/v1/keys/${k.key.id}`, key: w.buyer.key };
  },
  adminCreatePrincipal: async (w) =>
    post("/api/v1/admin/principals", w.admin, { kind: "agent", handle: `r${uniq()}` }),
  adminDeposit: async (w) =>
    post("/api/v1/admin/deposits", w.admin, {
      id: `r-${uniq()}`,
      owner_id: w.buyer.id,
      amount: "0.01",
      asset: "USDC",
    }),
  adminWithdraw: async (w) =>
    post("/api/v1/admin/withdrawals", w.admin, {
      id: `r-${uniq()}`,
      owner_id: w.buyer.id,
      amount: "0.01",
      asset: "USDC",
    }),
  adminCreateTransfers: async (w) =>
    post("/api/v1/admin/transfers", w.admin, {
      transfers: [
        {
          op: "transfer",
          id: `r-${uniq()}`,
          debit_account_id: w.buyer.account_id,
          credit_account_id: w.seller.account_id,
          amount: "0.01",
          asset: "USDC",
          code: "retry",
        },
      ],
    }),
  publishSkill: async (w) =>
    post("/api/v1/catalog/skills", w.seller.key, {
      key: `retry.s${uniq()}`,
      version: "1.0.0",
      label: "retry skill",
      description: "a skill published by the retries harness",
      operations: [
        {
          name: "run",
          description: "runs",
          input_schema: { type: "object" },
          output_schema: { type: "object" },
        },
      ],
    }),
  publishService: async (w) =>
    post("/api/v1/catalog/services", w.seller.key, {
      name: `retry-${uniq()}`,
      version: "1.0.0",
      skill_key: "hash.digest",
      description: "retry",
      company_name: "Retry",
      execution_mode: "native",
      endpoints: [{ url: "builtin:hash.digest#digest", method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: "0.01" },
      rails: ["agx-ledger"],
    }),
  retireService: async (w) => {
    const s = await w.api.must("POST", "/api/v1/catalog/services", {
      key: w.seller.key,
      body: {
        name: `retire-${uniq()}`,
        version: "1.0.0",
        skill_key: "hash.digest",
        description: "retire me",
        company_name: "Retry",
        execution_mode: "native",
        endpoints: [{ url: "builtin:hash.digest#digest", method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.01" },
        rails: ["agx-ledger"],
      },
    });
    return post(`/api/v1/catalog/services/${s.id}/retire`, w.seller.key);
  },
  marketSearch: async (w) => post("/api/v1/market/search", w.buyer.key, { query: "digest" }),
  createQuote: async (w) =>
    post("/api/v1/quotes", w.buyer.key, { service_id: w.service.id, input: input() }),
  postAiMarketPrice: async (w) =>
    post(`/ai-market/pricing/${w.service.name}/digest@v1`, w.buyer.key, { input: input() }),
  aiMarketDiscover: async (w) => post("/ai-market/discover", w.buyer.key, { query: "digest" }),
  verifyReceipt: async (w) => {
    const paid = await w.api.must("POST", w.service.invoke_path, {
      key: w.buyer.key,
      body: { input: input() },
    });
    const order = await w.api.must("GET", `/api/v1/market/orders/${paid.order_id}`, {
      key: w.buyer.key,
    });
    return post("/v1/verify", w.buyer.key, { receipt: order.receipts.at(-1).jws });
  },
  createOrder: async (w) =>
    post("/api/v1/market/orders", w.buyer.key, {
      service_id: w.service.id,
      input: input(),
      rail: "prepaid",
    }),
  createPaymentIntent: async (w) =>
    post(`${await order(w, "created")}/payment-intent`, w.buyer.key),
  payOrder: async (w) => {
    const o = await w.api.must("POST", "/api/v1/market/orders", {
      key: w.buyer.key,
      body: { service_id: w.service.id, input: input(), rail: "prepaid" },
    });
    const base = `/api/v1/market/orders/${o.id}`;
    await w.api.must("POST", `${base}/payment-intent`, { key: w.buyer.key, body: {} });
    return post(`${base}/payment`, w.buyer.key);
  },
  lockEscrow: async (w) => post(`${await order(w, "pending")}/payment/escrow-lock`, w.buyer.key),
  executeOrder: async (w) => post(`${await order(w, "ready")}/execute`, w.buyer.key),
  confirmOrder: async (w) => post(`${await order(w, "delivered")}/confirm`, w.buyer.key),
  disputeOrder: async (w) =>
    post(`${await order(w, "delivered")}/dispute`, w.buyer.key, { reason: "wrong" }),
  refundOrder: async (w) => post(`${await order(w, "delivered")}/refund`, w.admin),
  releasePayment: async (w) => {
    const base = await order(w, "delivered");
    await w.api.must("POST", `${base}/dispute`, { key: w.buyer.key, body: { reason: "x" } });
    return post(`${base}/payment/release`, w.admin);
  },
  cancelOrder: async (w) => post(`${await order(w, "ready")}/cancel`, w.buyer.key),
  invokeCapability: async (w) => post(w.service.invoke_path, w.buyer.key, { input: input() }),
  invokeCapabilityAlias: async (w) =>
    post(`/ai-market${w.service.invoke_path}`, w.buyer.key, { input: input() }),
  openChannel: async (w) => post("/ai-market/channel/open", w.buyer.key, { deposit: "0.05" }),
  closeChannel: async (w) =>
    post("/ai-market/channel/close", w.buyer.key, { channel_id: await channel(w) }),
  runPipeline: async (w) =>
    post("/ai-market/pipelines", w.buyer.key, {
      nodes: [
        {
          id: "a",
          product_id: w.service.name,
          capability_id: "digest@v1",
          input: input(),
        },
      ],
    }),
  marketCreateListing: async (w) =>
    post("/api/market/listings", w.buyer.key, {
      kind: "bounty",
      title: `retry ${uniq()}`,
      description: "retries",
      category: "stress",
      price: { type: "fixed", amount: "0.1" },
      asset: "USDC",
    }),
  marketUpdateListing: async (w) => {
    const { listing } = await marketOrder(w, "negotiating");
    return {
      method: "PATCH",
      path: `/api/market/listings/${listing}`,
      key: w.buyer.key,
      body: { title: `renamed ${uniq()}` },
    };
  },
  marketNegotiate: async (w) => {
    const l = await w.api.must("POST", "/api/market/listings", {
      key: w.buyer.key,
      body: {
        kind: "bounty",
        title: `retry ${uniq()}`,
        description: "retries",
        category: "stress",
        price: { type: "fixed", amount: "0.1" },
        asset: "USDC",
      },
    });
    return post("/api/market/negotiations", w.seller.key, { sourceType: "bounty", sourceId: l.id });
  },
  marketOrderEvent: async (w) => {
    const { id } = await marketOrder(w, "awaiting");
    return {
      method: "PATCH",
      path: `/api/market/orders/${id}`,
      key: w.buyer.key,
      body: { event: "fund" },
    };
  },
  marketPostMessage: async (w) => {
    const { thread } = await marketOrder(w, "negotiating");
    return post(`/api/market/threads/${thread}/messages`, w.buyer.key, { body: `hello ${uniq()}` });
  },
  marketReviewOrder: async (w) =>
    post(`/api/market/orders/${await completedMarketOrder(w)}/reviews`, w.buyer.key, {
      rating: 5,
      text: "good",
    }),
  createWebhook: async (w) =>
    post("/api/v1/webhooks", w.buyer.key, { url: "http://127.0.0.1:9/hook", event_types: ["*"] }),
  updateWebhook: async (w) => ({
    method: "PATCH",
    path: `/api/v1/webhooks/${await webhook(w)}`,
    key: w.buyer.key,
    body: { description: `d ${uniq()}` },
  }),
  deleteWebhook: async (w) => ({
    method: "DELETE",
    path: `/api/v1/webhooks/${await webhook(w)}`,
    key: w.buyer.key,
  }),
  rotateWebhookSecret: async (w) =>
    post(`/api/v1/webhooks/${await webhook(w)}/rotate-secret`, w.buyer.key, {
      overlap_seconds: 60,
    }),
  redeliverFailedWebhooks: async (w) =>
    post(`/api/v1/webhooks/${await webhook(w)}/redeliver`, w.buyer.key),
  createMachineIdentityChallenge: async (w) =>
    post("/api/v1/machine-identity/challenges", w.buyer.key, {
      identityRef: `did:pkh:eip155:1:0x${randomBytes(20).toString("hex")}`,
    }),
  updateMachine: async (w) => ({
    method: "PATCH",
    path: `/api/v1/machines/${await newMachine(w.api, w.buyer)}`,
    key: w.buyer.key,
    body: { displayName: `m ${uniq()}` },
  }),
  createAgentPairingChallenge: async (w) =>
    post(`/api/v1/machines/${w.machine_id}/agent-pairings/challenges`, w.buyer.key, {
      agentAddress: `0x${randomBytes(20).toString("hex")}`,
      agentProvider: "retry",
      agentRole: "buyer",
    }),
  updateAgentPairing: async (w) => {
    const p = await newPairing(w.api, w.buyer, w.machine_id, "1");
    return {
      method: "PATCH",
      path: `/api/v1/machines/${w.machine_id}/agent-pairings/${p.pairing_id}`,
      key: w.buyer.key,
      body: { description: `p ${uniq()}` },
    };
  },
  revokeAgentPairing: async (w) => {
    const p = await newPairing(w.api, w.buyer, w.machine_id, "1");
    return {
      method: "DELETE",
      path: `/api/v1/machines/${w.machine_id}/agent-pairings/${p.pairing_id}`,
      key: w.buyer.key,
    };
  },
  createSessionNonce: async () => ({ method: "POST", path: "/api/v1/session/nonce", body: {} }),
  createKeySession: async (w) => ({
    method: "POST",
    path: "/api/v1/session/key",
    body: { apiKey: w.buyer.key },
  }),
  checkAgentPolicy: async (w) => {
    const p = await newPairing(w.api, w.buyer, w.machine_id, "1");
    return {
      method: "POST",
      path: `/api/v1/machines/${w.machine_id}/agent-session/policy-check`,
      headers: { "x-agent-pairing-token": p.token },
      body: {
        skillKey: "hash.digest",
        serviceId: w.service.id,
        providerKey: w.seller.id,
        rails: ["prepaid"],
      },
    };
  },
};

/** Operations the harness does not drive, and why. */
export const notDriven: Record<string, string> = {
  registerAgent: "rate limited to 20 per IP per hour; its twin adminCreatePrincipal is driven",
  depositOnchain: "needs an EVM chain with a bound key (covered by the on-chain deposit suites)",
  mcp: "JSON-RPC over one route; its tools call the same flows as the driven routes",
  adminRedeliverWebhook: "needs a dead delivery (webhook chaos covers redelivery)",
  adminRetryEscrowAction:
    "needs a failed on-chain escrow action on anvil (test/x402/escrow-onchain.test.ts retries one)",
  announceFederationPeer: "needs a second, federating hub",
  crawlFederationPeers: "needs a second, federating hub",
  setFederationPeerAccount: "needs an announced peer",
  invokeAiMarketV2: "needs a federated peer hub",
  submitPaymentProof: "needs an on-chain or off-chain rail order (not the hub's ledger)",
  createMachine: "consumes a signed single-use challenge: a replay is refused by design",
  reproveMachine: "consumes a signed single-use challenge",
  setMachineControllers: "operator registry of controllers; no money, idempotent upsert",
  enrollMachineAgent: "needs a machine runtime agent",
  machineAgentHeartbeat: "needs an enrolled runtime agent",
  putRuntimeEndpoint: "needs an enrolled runtime agent",
  deleteRuntimeEndpoint: "needs an enrolled runtime agent",
  createKeyBindingChallenge: "key bindings sign with an EVM key per challenge",
  createKeyBinding: "consumes a signed single-use challenge",
  revokeKeyBinding: "needs a key binding",
  createAgentPairing: "consumes a signed single-use challenge",
  rotateAgentPairingSession: "consumes a signed single-use proof",
  createSession: "SIWE sign-in consumes a single-use nonce: a replay is refused by design",
  deleteSession: "needs a cookie session and its CSRF token (console); no money",
  redeliverWebhook: "needs a dead delivery (webhook chaos covers redelivery)",
};

/** Builds the world the drivers need (buyer, seller, a machine of the buyer). */
export async function retryWorld(api: Api, world: World): Promise<RetryWorld> {
  const buyer = world.buyers[0] as Principal;
  const seller = await principal(api, world.admin, `rsel${world.run}`, "1");
  const machine_id = await newMachine(api, buyer);
  return { ...world, api, buyer, seller, machine_id };
}
