import { createHash } from "node:crypto";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signProof, testKey } from "../../src/dpop/testing.ts";
import { newId } from "../../src/kernel/ids.ts";
import { claimTx, finishPaymentId, reservePaymentId } from "../../src/x402/store.ts";
import { pairAgent, type RolesWorld, startRolesWorld } from "../../stress/support/roles.ts";

/**
 * Replays of everything that proves something once: identity and pairing challenges with their
 * EIP-191 signatures, x402 payments (store level), DPoP proofs. 0 accepted. Webhooks are not
 * here: agx only sends them (docs/security.md says how receivers bound replays).
 */
describe("replays", () => {
  let w: RolesWorld;
  let buyerKey = "";
  beforeAll(async () => {
    w = await startRolesWorld();
    buyerKey = String(w.creds.buyer.authorization).slice("Bearer ".length);
  }, 120_000);
  afterAll(() => w.t.close());

  const call = (...args: Parameters<RolesWorld["t"]["call"]>) => w.t.call(...args);

  it("accepts a machine identity challenge and its EIP-191 signature once", async () => {
    const controller = privateKeyToAccount(generatePrivateKey());
    const ref = `did:pkh:eip155:1:${controller.address}`;
    const c = await call("POST", "/api/v1/machine-identity/challenges", {
      key: buyerKey,
      body: { identityRef: ref },
    });
    const proof = {
      challengeId: c.body.item.challengeId,
      signature: await controller.signMessage({ message: c.body.item.message }),
    };
    const register = () =>
      call("POST", "/api/v1/machines", {
        key: buyerKey,
        body: { identityRef: ref, displayName: "Once", identityProof: proof },
      });
    expect((await register()).status).toBe(201);
    const replay = await register();
    expect(replay.status, JSON.stringify(replay.body)).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
    // The same signature on a fresh challenge signs another message: refused too.
    const fresh = await call("POST", "/api/v1/machine-identity/challenges", {
      key: buyerKey,
      body: { identityRef: ref },
    });
    const moved = await call("POST", "/api/v1/machines", {
      key: buyerKey,
      body: {
        identityRef: ref,
        displayName: "Twice",
        identityProof: { challengeId: fresh.body.item.challengeId, signature: proof.signature },
      },
    });
    expect([moved.status, moved.body.code]).toEqual([401, "MACHINE_IDENTITY_PROOF_INVALID"]);
  });

  it("accepts an agent's pairing challenge and signature once", async () => {
    const agent = privateKeyToAccount(generatePrivateKey());
    const who = { agentAddress: agent.address, agentProvider: "anthropic", agentRole: "buyer" };
    const base = `/api/v1/machines/${w.objects.machineA}/agent-pairings`;
    const c = await call("POST", `${base}/challenges`, { key: buyerKey, body: who });
    const agentProof = {
      challengeId: c.body.item.challengeId,
      signature: await agent.signMessage({ message: c.body.item.message }),
    };
    const pair = () =>
      call("POST", base, {
        key: buyerKey,
        body: { ...who, agentProof, delegationPolicy: { currency: "USDC" } },
      });
    expect((await pair()).status).toBe(201);
    const replay = await pair();
    expect(replay.status, JSON.stringify(replay.body)).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
    expect(replay.body.code).toMatch(/^AGENT_PAIRING_/);
  });

  it("accepts a pairing session proof once", async () => {
    const paired = await pairAgent(w.t, w.objects.machineA, buyerKey);
    const base = `/api/v1/machines/${w.objects.machineA}/agent-pairings/${paired.id}`;
    const c = await call(
      "POST",
      `/api/v1/machines/${w.objects.machineA}/agent-pairings/challenges`,
      {
        body: {
          agentAddress: paired.agent.address,
          agentProvider: "anthropic",
          agentRole: "buyer",
          purpose: "session",
        },
      },
    );
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const agentProof = {
      challengeId: c.body.item.challengeId,
      signature: await paired.agent.signMessage({ message: c.body.item.message }),
    };
    const session = () => call("POST", `${base}/sessions`, { body: { agentProof } });
    const first = await session();
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const replay = await session();
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
  });

  it("accepts a DPoP proof once (jti), over HTTP", async () => {
    // The world runs on a manual clock: the proof's iat comes from it, not from Date.now().
    const key = await testKey("ES256");
    const created = await call("POST", "/api/v1/keys", {
      key: buyerKey,
      body: { scope: "read", dpop_jkt: key.jkt },
    });
    const bound = created.body.secret as string;
    const proof = await signProof(key, {
      jti: newId("jti"),
      htm: "GET",
      htu: "http://hub.test/api/v1/me",
      iat: Math.floor(w.clock.now_ms() / 1000),
      ath: createHash("sha256").update(bound).digest("base64url"),
    });
    const me = () =>
      w.t.hub.app.inject({
        method: "GET",
        url: "/api/v1/me",
        headers: { host: "hub.test", authorization: `DPoP ${bound}`, dpop: proof },
      });
    expect((await me()).statusCode).toBe(200);
    const replays = await Promise.all(Array.from({ length: 8 }, me));
    expect(replays.map((r) => [r.statusCode, JSON.parse(r.body).code])).toEqual(
      Array.from({ length: 8 }, () => [401, "DPOP_PROOF_REPLAYED"]),
    );
  });

  it("settles an x402 payment id once: the same payload replays, another conflicts", async () => {
    const ex = w.t.hub.ctx.db.kysely;
    const id = newId("pid");
    const now_ms = w.clock.now_ms();
    const first = await reservePaymentId(ex, { id, payload_sha256: "a".repeat(64), now_ms });
    expect(first.outcome).toBe("reserved");
    const settled = await finishPaymentId(ex, {
      id,
      payload_sha256: "a".repeat(64),
      state: "settled",
      response: {
        success: true,
        transaction: `0x${"1".repeat(64)}`,
        network: "eip155:8453",
      } as never,
      result_json: '{"ok":true}',
      now_ms,
    });
    expect(settled).toBe(true);
    const again = await reservePaymentId(ex, { id, payload_sha256: "a".repeat(64), now_ms });
    expect(again.outcome).toBe("replay");
    const other = await reservePaymentId(ex, { id, payload_sha256: "b".repeat(64), now_ms });
    expect(other.outcome).toBe("conflict");
  });

  it("lets an x402 settlement's transaction pay for one subject, ever", async () => {
    const ex = w.t.hub.ctx.db.kysely;
    const tx_hash = `0x${"ab".repeat(32)}`;
    const spec = { chain: "eip155:8453", tx_hash, now_ms: w.clock.now_ms() };
    expect((await claimTx(ex, { ...spec, purpose: "x402", subject: "ord_a" })).outcome).toBe(
      "created",
    );
    const asDeposit = await claimTx(ex, {
      ...spec,
      tx_hash: tx_hash.toUpperCase().replace("0X", "0x"),
      purpose: "deposit",
      subject: "prn_b",
    });
    expect(asDeposit.outcome).toBe("taken");
  });
});
