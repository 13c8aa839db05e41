import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { delegationLimits } from "../../src/delegation/index.ts";
import { type ManualClock, manualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../../test/support/hub.ts";

/** Everyone the authorization matrix tries every route as. */
export const ROLES = [
  "anonymous",
  "agentA",
  "agentB",
  "buyer",
  "seller",
  "provider",
  "operator",
  "revoked",
  "expired",
] as const;
export type Role = (typeof ROLES)[number];

/** The tenants' objects, by what they are; owners are named in the matrix. */
export interface WorldObjects {
  buyerId: string;
  sellerId: string;
  buyerSpareKeyId: string;
  providerServiceId: string;
  orderId: string;
  receiptId: string;
  listingId: string;
  marketOrderId: string;
  threadId: string;
  webhookId: string;
  machineA: string;
  machineB: string;
  pairingA: string;
  pairingB: string;
}

export interface RolesWorld {
  t: TestHub;
  clock: ManualClock;
  /** The headers each role sends. */
  creds: Record<Role, Record<string, string>>;
  objects: WorldObjects;
  /** Ids a role must never see in an answer (their owner and parties aside). */
  agentAccount: PrivateKeyAccount;
}

/** A fresh EOA (machines/testing.ts would pull vitest into the harness). */
const newAccount = (): PrivateKeyAccount => privateKeyToAccount(generatePrivateKey());

type Call = TestHub["call"];
async function ok(call: Call, ...args: Parameters<Call>) {
  const res = await call(...args);
  if (res.status >= 300) {
    throw new Error(`${args[0]} ${args[1]}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

async function principal(t: TestHub, kind: string, handle: string) {
  const b = await ok(t.call, "POST", "/api/v1/admin/principals", {
    key: t.adminKey,
    body: { kind, handle, scope: "write" },
  });
  return { id: b.principal.id as string, key: b.secret as string };
}

async function machineOf(t: TestHub, ownerKey: string): Promise<string> {
  const controller = newAccount();
  const ref = `did:pkh:eip155:1:${controller.address}`;
  const c = await ok(t.call, "POST", "/api/v1/machine-identity/challenges", {
    key: ownerKey,
    body: { identityRef: ref },
  });
  const m = await ok(t.call, "POST", "/api/v1/machines", {
    key: ownerKey,
    body: {
      identityRef: ref,
      displayName: "Rover",
      identityProof: {
        challengeId: c.item.challengeId,
        signature: await controller.signMessage({ message: c.item.message }),
      },
    },
  });
  return m.item.id as string;
}

/** Pairs a fresh agent to a machine; returns the pairing and its token. */
export async function pairAgent(t: TestHub, machineId: string, ownerKey: string) {
  const agent = newAccount();
  const who = { agentAddress: agent.address, agentProvider: "anthropic", agentRole: "buyer" };
  const base = `/api/v1/machines/${machineId}/agent-pairings`;
  const c = await ok(t.call, "POST", `${base}/challenges`, { key: ownerKey, body: who });
  const p = await ok(t.call, "POST", base, {
    key: ownerKey,
    body: {
      ...who,
      agentProof: {
        challengeId: c.item.challengeId,
        signature: await agent.signMessage({ message: c.item.message }),
      },
      delegationPolicy: { currency: "USDC", dailySpendLimit: "5.00" },
    },
  });
  return { id: p.item.id as string, token: p.item.pairingToken as string, agent };
}

/**
 * The world of the matrix: a buyer (human) owning machine A with agent A paired, a seller
 * (human) owning machine B with agent B, a provider with a service, the operator; a buyer's order
 * of the provider's service, a seller's listing the buyer negotiates, a buyer's webhook; a revoked
 * key and a pairing token an hour past its expiry.
 */
export async function startRolesWorld(): Promise<RolesWorld> {
  const clock = manualClock(Date.UTC(2026, 10, 20, 9, 0));
  const t = await startTestHub({
    clock,
    config: { outbound_allow_hosts: ["127.0.0.1"], builtin_resale: true },
  });
  const buyer = await principal(t, "human", "buyer");
  const seller = await principal(t, "human", "seller");
  const provider = await principal(t, "provider", "provider");
  for (const p of [buyer, seller]) {
    await ok(t.call, "POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      body: { id: newId("dep"), owner_id: p.id, amount: "100", asset: "USDC" },
    });
  }
  const spare = await ok(t.call, "POST", "/api/v1/keys", {
    key: buyer.key,
    body: { scope: "read" },
  });
  const doomed = await ok(t.call, "POST", "/api/v1/keys", {
    key: buyer.key,
    body: { scope: "write" },
  });
  await ok(t.call, "DELETE", `/api/v1/keys/${doomed.key.id}`, { key: buyer.key });

  const machineA = await machineOf(t, buyer.key);
  const machineB = await machineOf(t, seller.key);
  await ok(t.call, "PUT", `/api/v1/machines/${machineA}/runtime-endpoints/matrix`, {
    key: buyer.key,
    body: { url: "https://rt.example/matrix" },
  });
  const stale = await pairAgent(t, machineA, buyer.key);
  clock.advance(delegationLimits.pairing_token_ttl_ms + 60_000);
  const pairA = await pairAgent(t, machineA, buyer.key);
  const pairB = await pairAgent(t, machineB, seller.key);

  const service = await ok(t.call, "POST", "/api/v1/catalog/services", {
    key: provider.key,
    body: {
      name: "matrix-digest",
      version: "1.0.0",
      skill_key: "hash.digest",
      description: "a digest for the matrix",
      company_name: "Matrix",
      execution_mode: "native",
      endpoints: [{ url: "builtin:hash.digest#digest", method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: "0.10" },
      rails: ["agx-ledger"],
    },
  });
  const input = { algorithm: "sha256", data: "abc" };
  const quote = await ok(t.call, "POST", "/api/v1/quotes", {
    key: buyer.key,
    body: { service_id: service.id, input },
  });
  const order = await ok(t.call, "POST", "/api/v1/market/orders", {
    key: buyer.key,
    body: { quote_id: quote.id, input, rail: "prepaid" },
  });
  const invoked = await ok(
    t.call,
    "POST",
    "/capabilities/builtin-text-stats-analyze/analyze@v1/invoke",
    {
      key: buyer.key,
      body: { input: { text: "a b" } },
    },
  );

  const listing = await ok(t.call, "POST", "/api/market/listings", {
    key: seller.key,
    body: {
      kind: "service",
      title: "Translate a manual",
      description: "Forty pages",
      category: "translation",
      price: { type: "fixed", amount: "10" },
      asset: "USDC",
    },
  });
  const negotiation = await ok(t.call, "POST", "/api/market/negotiations", {
    key: buyer.key,
    body: { sourceType: "service", sourceId: listing.id },
  });
  const webhook = await ok(t.call, "POST", "/api/v1/webhooks", {
    key: buyer.key,
    body: { url: "https://hooks.example/agx", event_types: ["*"] },
  });

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  return {
    t,
    clock,
    agentAccount: pairA.agent,
    creds: {
      anonymous: {},
      agentA: { "x-agent-pairing-token": pairA.token },
      agentB: { "x-agent-pairing-token": pairB.token },
      buyer: bearer(buyer.key),
      seller: bearer(seller.key),
      provider: bearer(provider.key),
      operator: bearer(t.adminKey),
      revoked: bearer(doomed.secret),
      expired: { "x-agent-pairing-token": stale.token },
    },
    objects: {
      buyerId: buyer.id,
      sellerId: seller.id,
      buyerSpareKeyId: spare.key.id,
      providerServiceId: service.id,
      orderId: order.id,
      receiptId: invoked.receipt.nonce as string,
      listingId: listing.id,
      marketOrderId: negotiation.order.id,
      threadId: negotiation.order.threadId ?? negotiation.thread?.id,
      webhookId: webhook.endpoint.id,
      machineA,
      machineB,
      pairingA: pairA.id,
      pairingB: pairB.id,
    },
  };
}
