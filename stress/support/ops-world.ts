import { randomBytes } from "node:crypto";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Api } from "./ops.ts";

/**
 * The cast of a stress run, made through the API before any chaos: buyers (one per client),
 * a provider selling a priced builtin service (also the market's seller), a machine owner with
 * a paired agent under a total budget.
 */

export interface Principal {
  id: string;
  key: string;
  /** The USDC `available` account (holds between principals need its id). */
  account_id: string;
}

export interface World {
  admin: string;
  run: string;
  provider: Principal;
  buyers: Principal[];
  service: { id: string; name: string; price_minor: bigint; invoke_path: string };
  delegate: {
    owner: Principal;
    machine_id: string;
    pairing_id: string;
    token: string;
    budget_minor: bigint;
  };
}

export const PRICE = "0.010000";
export const PRICE_MINOR = 10_000n;

/** Creates a principal (operator route: registration is rate limited per IP) and funds it. */
export async function principal(
  api: Api,
  admin: string,
  handle: string,
  funds: string,
): Promise<Principal> {
  const made = await api.must("POST", "/api/v1/admin/principals", {
    key: admin,
    idem: `principal:${handle}`,
    body: { kind: "agent", handle },
  });
  const id = made.principal.id as string;
  await api.must("POST", "/api/v1/admin/deposits", {
    key: admin,
    idem: `seed:${handle}`,
    body: { id: `seed-${handle}`, owner_id: id, amount: funds, asset: "USDC" },
  });
  const balances = await api.must("GET", "/api/v1/balances", { key: made.secret });
  const account = balances.items.find(
    (a: { kind: string; asset: string }) => a.kind === "available" && a.asset === "USDC",
  );
  return { id, key: made.secret as string, account_id: account.id as string };
}

/** Publishes the run's service: a fixed-price builtin (hash.digest), on every ledger rail. */
async function publish(api: Api, provider: Principal, run: string) {
  const name = `stress-digest-${run}`;
  const service = await api.must("POST", "/api/v1/catalog/services", {
    key: provider.key,
    idem: `publish:${name}`,
    body: {
      name,
      version: "1.0.0",
      skill_key: "hash.digest",
      description: "sha256 of a stress operation id",
      company_name: "Stress",
      execution_mode: "native",
      endpoints: [{ url: "builtin:hash.digest#digest", method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: PRICE },
      rails: ["agx-ledger"],
    },
  });
  return {
    id: service.id as string,
    name,
    price_minor: PRICE_MINOR,
    invoke_path: `/capabilities/${name}/digest@v1/invoke`,
  };
}

/** A machine of `owner` and an agent paired to it under a total budget of `budget` USDC. */
export async function pairAgent(api: Api, owner: Principal, budget: string) {
  const machine_id = await newMachine(api, owner);
  return { machine_id, ...(await newPairing(api, owner, machine_id, budget)) };
}

/** Registers a machine of `owner`, proven by a fresh controller key. */
export async function newMachine(api: Api, owner: Principal): Promise<string> {
  const controller = privateKeyToAccount(generatePrivateKey());
  const ref = `did:pkh:eip155:1:${controller.address}`;
  const c = await api.must("POST", "/api/v1/machine-identity/challenges", {
    key: owner.key,
    body: { identityRef: ref },
  });
  const m = await api.must("POST", "/api/v1/machines", {
    key: owner.key,
    body: {
      identityRef: ref,
      displayName: "Stress machine",
      identityProof: {
        challengeId: c.item.challengeId,
        signature: await controller.signMessage({ message: c.item.message }),
      },
    },
  });
  return m.item.id as string;
}

/** Pairs a fresh agent key to `machine_id` under a total budget. */
export async function newPairing(api: Api, owner: Principal, machine_id: string, budget: string) {
  const agent = privateKeyToAccount(generatePrivateKey());
  const who = { agentAddress: agent.address, agentProvider: "stress", agentRole: "buyer" };
  const pc = await api.must("POST", `/api/v1/machines/${machine_id}/agent-pairings/challenges`, {
    key: owner.key,
    body: who,
  });
  const p = await api.must("POST", `/api/v1/machines/${machine_id}/agent-pairings`, {
    key: owner.key,
    body: {
      ...who,
      agentProof: {
        challengeId: pc.item.challengeId,
        signature: await agent.signMessage({ message: pc.item.message }),
      },
      delegationPolicy: { currency: "USDC", totalBudget: budget },
    },
  });
  return { pairing_id: p.item.id as string, token: p.item.pairingToken as string };
}

/** Builds the world for `clients` buyers; every call retried until acknowledged. */
export async function buildWorld(
  api: Api,
  admin: string,
  spec: { clients: number; buyer_funds: string; budget: string },
): Promise<World> {
  const run = randomBytes(4).toString("hex");
  const provider = await principal(api, admin, `prov${run}`, "0.01");
  const service = await publish(api, provider, run);
  const buyers: Principal[] = [];
  for (let i = 0; i < spec.clients; i += 8) {
    const batch = Array.from({ length: Math.min(8, spec.clients - i) }, (_, j) =>
      principal(api, admin, `buy${run}x${i + j}`, spec.buyer_funds),
    );
    buyers.push(...(await Promise.all(batch)));
  }
  const owner = await principal(api, admin, `own${run}`, "1000");
  const pairing = await pairAgent(api, owner, spec.budget);
  return {
    admin,
    run,
    provider,
    buyers,
    service,
    delegate: { owner, ...pairing, budget_minor: BigInt(Math.round(Number(spec.budget) * 1e6)) },
  };
}
