import { base64url } from "jose";
import type { PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, it } from "vitest";
import { delegationLimits } from "../../src/delegation/index.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { newAccount } from "../../src/machines/testing.ts";
import {
  type MachinesHub,
  newPrincipalKey,
  proveAndRegister,
  startMachinesHub,
} from "../support/machines-hub.ts";
import { describeStores } from "../support/stores.ts";

const fromB64 = (text: string) => Buffer.from(text, "base64url").toString("utf8");

describeStores("agent pairings over HTTP", (store) => {
  const clock = manualClock();
  let mh: MachinesHub;
  let owner = "";
  let stranger = "";
  beforeAll(async () => {
    mh = await startMachinesHub({ database: store.db, clock });
    owner = await newPrincipalKey(mh, "own");
    stranger = await newPrincipalKey(mh, "str");
  });
  afterAll(() => mh.close());

  const machine = async (extra: Record<string, unknown> = {}) => {
    const key = newAccount();
    const res = await proveAndRegister(mh, owner, key, `did:pkh:eip155:1:${key.address}`, extra);
    return res.body.item.id as string;
  };
  const agentBody = (agent: PrivateKeyAccount) => ({
    agentAddress: agent.address,
    agentProvider: "anthropic",
    agentRole: "buyer",
  });
  const challenge = (m: string, agent: PrivateKeyAccount, key?: string, purpose?: string) =>
    mh.call("POST", `/api/v1/machines/${m}/agent-pairings/challenges`, {
      ...(key ? { key } : {}),
      body: { ...agentBody(agent), ...(purpose ? { purpose } : {}) },
    });
  const proofFor = async (
    c: { body: { item: { challengeId: string; message: string } } },
    agent: PrivateKeyAccount,
  ) => ({
    challengeId: c.body.item.challengeId,
    signature: await agent.signMessage({ message: c.body.item.message }),
  });
  const policy = { currency: "USDC", dailySpendLimit: "5.00", allowedSkillKeys: ["text.*"] };
  const pair = async (m: string, agent: PrivateKeyAccount, agentProof?: unknown) =>
    mh.call("POST", `/api/v1/machines/${m}/agent-pairings`, {
      key: owner,
      body: {
        ...agentBody(agent),
        agentProof: agentProof ?? (await proofFor(await challenge(m, agent, owner), agent)),
        delegationPolicy: policy,
      },
    });
  const session = (m: string, token: string) =>
    mh.call("GET", `/api/v1/machines/${m}/agent-session`, {
      headers: { "x-agent-pairing-token": token },
    });

  it("pairs an agent and returns an HS256 pairing token, shown once", async () => {
    const m = await machine();
    const agent = newAccount();
    const res = await pair(m, agent);
    expect(res.status).toBe(201);
    const item = res.body.item;
    expect(item).toMatchObject({
      status: "active",
      agentAddress: agent.address,
      agentDid: `did:pkh:eip155:1:${agent.address}`,
      hasAuthToken: true,
      delegationPolicy: { currency: "USDC", dailySpendLimit: "5.000000" },
    });
    expect(item.tokenLastFour).toBe(item.pairingToken.slice(-4));
    const header = JSON.parse(fromB64(item.pairingToken.split(".")[0]));
    expect(header.alg).toBe("HS256");
    const read = await mh.call("GET", `/api/v1/machines/${m}/agent-pairings/${item.id}`, {
      key: owner,
    });
    expect(read.body.item.pairingToken).toBeUndefined();
    const me = await session(m, item.pairingToken);
    expect([me.status, me.body.item.id]).toEqual([200, item.id]);
  });

  it("refuses a pairing on a machine that is not active", async () => {
    const m = await machine({ activate: false });
    const res = await challenge(m, newAccount(), owner);
    expect([res.status, res.body.code]).toEqual([409, "MACHINE_NOT_ACTIVE"]);
  });

  it("refuses another machine's challenge, a reused one, another key's signature", async () => {
    const [m1, m2] = [await machine(), await machine()];
    const agent = newAccount();
    const proof = await proofFor(await challenge(m1, agent, owner), agent);
    const other = await pair(m2, agent, proof);
    expect([other.status, other.body.code]).toEqual([401, "AGENT_PAIRING_PROOF_INVALID"]);
    expect((await pair(m1, agent, proof)).status).toBe(201);
    const replayed = await pair(m1, agent, proof);
    expect(replayed.body.code).toBe("AGENT_PAIRING_PROOF_EXPIRED");
    const impostor = await proofFor(await challenge(m2, agent, owner), newAccount());
    expect((await pair(m2, agent, impostor)).body.code).toBe("AGENT_PAIRING_PROOF_INVALID");
  });

  it("lets only the machine's owner ask for a pairing challenge", async () => {
    const m = await machine();
    expect((await challenge(m, newAccount(), stranger)).body.code).toBe("MACHINE_NOT_FOUND");
    expect((await challenge(m, newAccount())).body.code).toBe("UNAUTHENTICATED");
  });

  it("authorises a token for its own machine only; refuses forged and alg:none", async () => {
    const [m1, m2] = [await machine(), await machine()];
    const token = (await pair(m1, newAccount())).body.item.pairingToken as string;
    const elsewhere = await session(m2, token);
    expect([elsewhere.status, elsewhere.body.code]).toEqual([
      403,
      "AGENT_PAIRING_MACHINE_MISMATCH",
    ]);
    const [, payload] = token.split(".");
    const none = `${base64url.encode(JSON.stringify({ alg: "none" }))}.${payload}.`;
    expect((await session(m1, none)).body.code).toBe("AGENT_PAIRING_TOKEN_INVALID");
    const [h, , s] = token.split(".");
    const claims = JSON.parse(fromB64(payload ?? ""));
    const forged = `${h}.${base64url.encode(JSON.stringify({ ...claims, machineId: m2 }))}.${s}`;
    expect((await session(m2, forged)).body.code).toBe("AGENT_PAIRING_TOKEN_INVALID");
    expect((await session(m1, "")).body.code).toBe("AGENT_PAIRING_REQUIRED");
  });

  it("makes tokens stale on a policy PATCH; rotates on a fresh agent proof", async () => {
    const m = await machine();
    const agent = newAccount();
    const created = (await pair(m, agent)).body.item;
    const patched = await mh.call("PATCH", `/api/v1/machines/${m}/agent-pairings/${created.id}`, {
      key: owner,
      body: { delegationPolicy: { ...policy, dailySpendLimit: "2.50" } },
    });
    expect(patched.body.item.delegationPolicyHash).not.toBe(created.delegationPolicyHash);
    const stale = await session(m, created.pairingToken);
    expect([stale.status, stale.body.code]).toEqual([401, "AGENT_PAIRING_TOKEN_STALE"]);
    const c = await challenge(m, agent, undefined, "session");
    expect(c.status).toBe(201);
    const rotate = (agentProof: unknown) =>
      mh.call("POST", `/api/v1/machines/${m}/agent-pairings/${created.id}/sessions`, {
        body: { agentProof },
      });
    const proof = await proofFor(c, agent);
    const rotated = await rotate(proof);
    expect(rotated.status).toBe(201);
    expect((await session(m, rotated.body.item.pairingToken)).status).toBe(200);
    expect((await rotate(proof)).body.code).toBe("AGENT_PAIRING_PROOF_EXPIRED");
    clock.advance(delegationLimits.pairing_token_ttl_ms);
    const expired = await session(m, rotated.body.item.pairingToken);
    expect(expired.body.code).toBe("AGENT_PAIRING_TOKEN_EXPIRED");
  });

  it("revokes at once: the token is refused on the very next request", async () => {
    const m = await machine();
    const created = (await pair(m, newAccount())).body.item;
    const url = `/api/v1/machines/${m}/agent-pairings/${created.id}`;
    expect((await mh.call("DELETE", url, { key: stranger })).body.code).toBe("MACHINE_NOT_FOUND");
    const revoked = await mh.call("DELETE", url, { key: owner });
    expect(revoked.body.item).toMatchObject({ status: "revoked", hasAuthToken: false });
    const after = await session(m, created.pairingToken);
    expect([after.status, after.body.code]).toEqual([403, "AGENT_PAIRING_INACTIVE"]);
  });

  it("checks the policy for the agent; shows the owner each pairing's spend today", async () => {
    const m = await machine();
    const created = (await pair(m, newAccount())).body.item;
    await mh.ctx.db.transaction((tx) =>
      mh.delegation.reserveSpend(tx, created.id, "USDC", 4_500_000n, clock.now_ms()),
    );
    const check = (body: Record<string, unknown>) =>
      mh.call("POST", `/api/v1/machines/${m}/agent-session/policy-check`, {
        headers: { "x-agent-pairing-token": created.pairingToken },
        body: { serviceId: "svc_x", providerKey: "prn_x", rails: ["agx-ledger"], ...body },
      });
    expect((await check({ skillKey: "text.stats", amount: "0.50" })).body.item.allowed).toBe(true);
    expect((await check({ skillKey: "text.stats", amount: "0.51" })).body.item).toMatchObject({
      allowed: false,
      code: "AGENT_DAILY_LIMIT_EXCEEDED",
    });
    expect((await check({ skillKey: "image.resize" })).body.item.reason).toBe("skill");
    const view = await mh.call("GET", "/api/v1/owner/machines?limit=500", { key: owner });
    const entry = view.body.items.find((i: { machine: { id: string } }) => i.machine.id === m);
    expect(entry.pairings[0].spend[0]).toMatchObject({
      asset: "USDC",
      today: { amount: "4.500000", amountMinor: "4500000" },
    });
    expect(entry.pairings[0].delegationPolicy.dailySpendLimit).toBe("5.000000");
    const foreign = await mh.call("GET", "/api/v1/owner/machines?limit=500", { key: stranger });
    expect(foreign.body.items).toEqual([]);
  });

  it("refuses a policy with limits but no known currency", async () => {
    const m = await machine();
    const agent = newAccount();
    const res = await mh.call("POST", `/api/v1/machines/${m}/agent-pairings`, {
      key: owner,
      body: {
        ...agentBody(agent),
        agentProof: await proofFor(await challenge(m, agent, owner), agent),
        delegationPolicy: { dailySpendLimit: "1.00" },
      },
    });
    expect([res.status, res.body.code]).toEqual([400, "AGENT_POLICY_INVALID"]);
  });
});
