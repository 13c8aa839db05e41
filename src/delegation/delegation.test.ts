import { expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { expectProblem, newAccount } from "../machines/testing.ts";
import { delegationLimits } from "./limits.ts";
import { delegationMigrations } from "./migrations.ts";
import { openPolicy, policyHash } from "./policy.ts";
import {
  agentSpec,
  pairAgent,
  signedPairingChallenge,
  TEST_HUB,
  testDelegation,
} from "./testing.ts";
import { createPairingTokens } from "./tokens.ts";

describeStores(
  "agent pairings and session tokens",
  (store) => {
    const clock = manualClock();
    const delegation = testDelegation(clock);
    const owner = "prn_owner";
    const machineId = () => `mach_${Math.random().toString(36).slice(2, 12)}`;
    const auth = (token: string | undefined, machine_id: string) =>
      delegation.authenticate(store.db.kysely, token, machine_id);

    it("pairs an agent whose wallet signed the machine-bound challenge", async () => {
      const m = machineId();
      const agent = newAccount();
      const { challenge } = await signedPairingChallenge(delegation, store.db, m, owner, agent);
      expect(challenge.message).toContain(TEST_HUB);
      expect(challenge.message).toContain(`Machine: ${m}`);
      expect(challenge.message).toContain(`Agent: ${agent.address}`);
      const { pairing, token } = await pairAgent(delegation, store.db, m, owner, agent);
      expect(pairing).toMatchObject({
        status: "active",
        agent_address: agent.address,
        agent_did: `did:pkh:eip155:1:${agent.address}`,
        policy_hash: policyHash(openPolicy()),
      });
      expect(pairing.session?.token_last_four).toBe(token.slice(-4));
      const session = await auth(token, m);
      expect(session.claims).toMatchObject({
        machineId: m,
        pairingId: pairing.id,
        sessionId: pairing.session?.id,
        agentAddress: agent.address,
        delegationPolicyHash: pairing.policy_hash,
      });
      expect(session.claims.exp * 1000 - clock.now_ms()).toBeLessThanOrEqual(
        delegationLimits.pairing_token_ttl_ms,
      );
    });

    it("refuses a pairing signed by a key other than agentAddress", async () => {
      const m = machineId();
      const agent = newAccount();
      const challenge = await store.db.transaction((tx) =>
        delegation.createChallenge(tx, m, {
          ...agentSpec(agent),
          purpose: "pairing",
          requester_id: owner,
        }),
      );
      const signature = await newAccount().signMessage({ message: challenge.message });
      const proof = { challenge_id: challenge.id, signature };
      await expectProblem(
        store.db.transaction((tx) =>
          delegation.pair(tx, {
            ...agentSpec(agent),
            machine_id: m,
            owner_id: owner,
            description: null,
            policy: openPolicy(),
            proof,
          }),
        ),
        "AGENT_PAIRING_PROOF_INVALID",
      );
    });

    it("refuses a proof without a challenge, for another machine, reused, or expired", async () => {
      const agent = newAccount();
      const m = machineId();
      const pair = (
        machine_id: string,
        proof: { challenge_id: string; signature: string } | null,
      ) =>
        store.db.transaction((tx) =>
          delegation.pair(tx, {
            ...agentSpec(agent),
            machine_id,
            owner_id: owner,
            description: null,
            policy: openPolicy(),
            proof,
          }),
        );
      await expectProblem(pair(m, null), "AGENT_PAIRING_PROOF_REQUIRED");
      const first = await signedPairingChallenge(delegation, store.db, m, owner, agent);
      await expectProblem(pair(machineId(), first.proof), "AGENT_PAIRING_PROOF_INVALID");
      await pair(m, first.proof);
      const m2 = machineId();
      await expectProblem(pair(m, first.proof), "AGENT_PAIRING_PROOF_EXPIRED");
      const late = await signedPairingChallenge(delegation, store.db, m2, owner, agent);
      clock.advance(delegationLimits.pairing_challenge_ttl_ms);
      await expectProblem(pair(m2, late.proof), "AGENT_PAIRING_PROOF_EXPIRED");
    });

    it("refuses a second live pairing of one agent with one machine", async () => {
      const m = machineId();
      const agent = newAccount();
      await pairAgent(delegation, store.db, m, owner, agent);
      await expectProblem(pairAgent(delegation, store.db, m, owner, agent), "AGENT_PAIRING_EXISTS");
    });

    it("refuses a token for another machine, and a missing token", async () => {
      const m = machineId();
      const { token } = await pairAgent(delegation, store.db, m, owner, newAccount());
      await expectProblem(auth(token, machineId()), "AGENT_PAIRING_MACHINE_MISMATCH");
      await expectProblem(auth(undefined, m), "AGENT_PAIRING_REQUIRED");
    });

    it("rotates the session with a fresh proof and makes the old token stale", async () => {
      const m = machineId();
      const agent = newAccount();
      const { pairing, token } = await pairAgent(delegation, store.db, m, owner, agent);
      const { proof } = await signedPairingChallenge(
        delegation,
        store.db,
        m,
        null,
        agent,
        "session",
      );
      const rotated = await store.db.transaction((tx) =>
        delegation.rotate(tx, m, pairing.id, proof),
      );
      expect(rotated.pairing.session?.id).not.toBe(pairing.session?.id);
      expect((await auth(rotated.token, m)).pairing.id).toBe(pairing.id);
      await expectProblem(auth(token, m), "AGENT_PAIRING_TOKEN_STALE");
      await expectProblem(
        store.db.transaction((tx) => delegation.rotate(tx, m, pairing.id, proof)),
        "AGENT_PAIRING_PROOF_EXPIRED",
      );
    });

    it("refuses a pairing challenge used to rotate a session", async () => {
      const m = machineId();
      const agent = newAccount();
      const { pairing } = await pairAgent(delegation, store.db, m, owner, newAccount());
      const { proof } = await signedPairingChallenge(delegation, store.db, m, owner, agent);
      await expectProblem(
        store.db.transaction((tx) => delegation.rotate(tx, m, pairing.id, proof)),
        "AGENT_PAIRING_PROOF_INVALID",
      );
    });

    it("makes tokens with the old policy hash stale after a policy change", async () => {
      const m = machineId();
      const { pairing, token } = await pairAgent(delegation, store.db, m, owner, newAccount());
      const changed = await store.db.transaction((tx) =>
        delegation.update(tx, m, pairing.id, {
          policy: { ...openPolicy(), denied_skill_keys: ["llm.*"] },
        }),
      );
      expect(changed.policy_hash).not.toBe(pairing.policy_hash);
      await expectProblem(auth(token, m), "AGENT_PAIRING_TOKEN_STALE");
    });

    it("refuses tokens while paused, takes them on resume, never after revoke", async () => {
      const m = machineId();
      const { pairing, token } = await pairAgent(delegation, store.db, m, owner, newAccount());
      const set = (status: "active" | "paused") =>
        store.db.transaction((tx) => delegation.update(tx, m, pairing.id, { status }));
      await set("paused");
      await expectProblem(auth(token, m), "AGENT_PAIRING_INACTIVE");
      await set("active");
      expect((await auth(token, m)).pairing.status).toBe("active");
      const revoked = await store.db.transaction((tx) => delegation.revoke(tx, m, pairing.id));
      expect(revoked.status).toBe("revoked");
      await expectProblem(auth(token, m), "AGENT_PAIRING_INACTIVE");
      await expectProblem(set("active"), "AGENT_PAIRING_INACTIVE");
    });

    it("refuses a token that has expired, and a token forged with another secret", async () => {
      const m = machineId();
      const { pairing, token } = await pairAgent(delegation, store.db, m, owner, newAccount());
      const forger = createPairingTokens({
        clock,
        secrets: { current: "not-the-hub-secret-0123456789abcdef" },
        issuer: () => TEST_HUB,
      });
      const forged = await forger.issue({
        machineId: m,
        pairingId: pairing.id,
        sessionId: pairing.session?.id ?? "",
        agentAddress: pairing.agent_address,
        agentDid: pairing.agent_did,
        delegationPolicyHash: pairing.policy_hash,
        exp: Math.floor(clock.now_ms() / 1000) + 60,
        jti: "pjt_forged",
      });
      await expectProblem(auth(forged, m), "AGENT_PAIRING_TOKEN_INVALID");
      clock.advance(delegationLimits.pairing_token_ttl_ms);
      await expectProblem(auth(token, m), "AGENT_PAIRING_TOKEN_EXPIRED");
    });

    it("accepts a given agentDid only as a did:pkh of the agent's own address", async () => {
      const m = machineId();
      const agent = newAccount();
      const ask = (agent_did: string) =>
        store.db.transaction((tx) =>
          delegation.createChallenge(tx, m, {
            ...agentSpec(agent),
            agent_did,
            purpose: "pairing",
            requester_id: owner,
          }),
        );
      const c = await ask(`did:pkh:eip155:3338:${agent.address.toLowerCase()}`);
      expect(c.agent_did).toBe(`did:pkh:eip155:3338:${agent.address}`);
      await expectProblem(ask(`did:pkh:eip155:1:${newAccount().address}`), "VALIDATION_FAILED");
    });

    it("lets only an active pairing ask for a session challenge", async () => {
      const m = machineId();
      const agent = newAccount();
      await expectProblem(
        signedPairingChallenge(delegation, store.db, m, null, agent, "session"),
        "AGENT_PAIRING_NOT_FOUND",
      );
      const { pairing } = await pairAgent(delegation, store.db, m, owner, agent);
      await store.db.transaction((tx) =>
        delegation.update(tx, m, pairing.id, { status: "paused" }),
      );
      await expectProblem(
        signedPairingChallenge(delegation, store.db, m, null, agent, "session"),
        "AGENT_PAIRING_INACTIVE",
      );
    });
  },
  { migrations: delegationMigrations },
);
