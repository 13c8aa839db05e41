import { expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { isProblem } from "../kernel/problem.ts";
import { machineLimits } from "./limits.ts";
import { machineMigrations } from "./migrations.ts";
import {
  expectProblem,
  machineInput,
  newAccount,
  registerMachine,
  signedChallenge,
  TEST_HUB,
  testMachines,
} from "./testing.ts";

describeStores(
  "machine identity proofs and machines",
  (store) => {
    const clock = manualClock();
    const machines = testMachines(clock);
    const owner = "prn_owner";
    const viewer = { principal_id: owner, admin: false };
    const pkh = (a: { address: string }) => `did:pkh:eip155:3338:${a.address}`;
    const verify = (ref: string, proof: { challenge_id: string; signature: string } | null) =>
      machines.verifyProof(store.db.kysely, owner, ref, proof);

    it("issues a short-lived challenge naming hub, identity, caller and a nonce", async () => {
      const key = newAccount();
      const { challenge } = await signedChallenge(machines, store.db, owner, pkh(key), key);
      expect(challenge.message).toContain(TEST_HUB);
      expect(challenge.message).toContain(`Identity: ${pkh(key)}`);
      expect(challenge.message).toContain(`Principal: ${owner}`);
      expect(challenge.message).toMatch(/Nonce: [A-Za-z0-9_-]{20,}/);
      expect(challenge.expires_at_ms - clock.now_ms()).toBe(
        machineLimits.identity_challenge_ttl_ms,
      );
      expect(challenge.controller_addresses).toEqual([key.address]);
    });

    it("registers a machine whose controller signed, storing the proof", async () => {
      const key = newAccount();
      const m = await registerMachine(machines, store.db, owner, pkh(key), key);
      expect(m.status).toBe("active");
      expect(m.owner_id).toBe(owner);
      expect(m.identity_proof).toMatchObject({
        method: "eip191",
        signer_address: key.address,
        resolution_source: "did-pkh",
      });
    });

    it("registers a draft when asked not to activate", async () => {
      const key = newAccount();
      const m = await registerMachine(machines, store.db, owner, pkh(key), key, {
        activate: false,
      });
      expect(m.status).toBe("draft");
    });

    it("requires a proof, and refuses a signature by anyone but a controller", async () => {
      const key = newAccount();
      await expectProblem(verify(pkh(key), null), "MACHINE_IDENTITY_PROOF_REQUIRED");
      const { proof } = await signedChallenge(machines, store.db, owner, pkh(key), newAccount());
      await expectProblem(verify(pkh(key), proof), "MACHINE_IDENTITY_PROOF_INVALID");
      await expectProblem(
        verify(pkh(key), { challenge_id: proof.challenge_id, signature: `0x${"ab".repeat(65)}` }),
        "MACHINE_IDENTITY_PROOF_INVALID",
      );
    });

    it("refuses an expired challenge", async () => {
      const key = newAccount();
      const { proof } = await signedChallenge(machines, store.db, owner, pkh(key), key);
      clock.advance(machineLimits.identity_challenge_ttl_ms);
      await expectProblem(verify(pkh(key), proof), "MACHINE_IDENTITY_PROOF_EXPIRED");
    });

    it("refuses a challenge issued for another identity or to another caller", async () => {
      const key = newAccount();
      const other = newAccount();
      const { proof } = await signedChallenge(machines, store.db, owner, pkh(key), key);
      await expectProblem(verify(pkh(other), proof), "MACHINE_IDENTITY_PROOF_INVALID");
      await expectProblem(
        machines.verifyProof(store.db.kysely, "prn_thief", pkh(key), proof),
        "MACHINE_IDENTITY_PROOF_INVALID",
      );
    });

    it("refuses a replay of a captured, already used challenge and signature", async () => {
      const key = newAccount();
      const { proof } = await signedChallenge(machines, store.db, owner, pkh(key), key);
      const verified = await verify(pkh(key), proof);
      await store.db.transaction((tx) =>
        machines.register(tx, owner, machineInput(pkh(key)), verified),
      );
      await expectProblem(verify(pkh(key), proof), "MACHINE_IDENTITY_PROOF_EXPIRED");
      // Even a proof verified before the first use cannot be consumed a second time.
      await expectProblem(
        store.db.transaction((tx) =>
          machines.register(tx, owner, machineInput(pkh(key)), verified),
        ),
        "MACHINE_IDENTITY_PROOF_EXPIRED",
      );
    });

    it("registers one machine of 10 concurrent uses of one signature", async () => {
      const key = newAccount();
      const { proof } = await signedChallenge(machines, store.db, owner, pkh(key), key);
      const verified = await verify(pkh(key), proof);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () =>
          store.db
            .transaction((tx) => machines.register(tx, owner, machineInput(pkh(key)), verified))
            .then(
              () => "ok",
              (e) => (isProblem(e) ? e.code : String(e)),
            ),
        ),
      );
      expect(outcomes.filter((o) => o === "ok")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "MACHINE_IDENTITY_PROOF_EXPIRED")).toHaveLength(9);
    });

    it("refuses a second live machine for one identity, and frees it once archived", async () => {
      const key = newAccount();
      const first = await registerMachine(machines, store.db, owner, pkh(key), key);
      await expectProblem(
        registerMachine(machines, store.db, owner, pkh(key), key),
        "MACHINE_IDENTITY_EXISTS",
      );
      await store.db.transaction((tx) =>
        machines.update(tx, viewer, first.id, { status: "archived" }),
      );
      const again = await registerMachine(machines, store.db, owner, pkh(key), key);
      expect(again.id).not.toBe(first.id);
    });

    it("keeps identityRef immutable and walks status through the state machine", async () => {
      const key = newAccount();
      const m = await registerMachine(machines, store.db, owner, pkh(key), key, {
        activate: false,
      });
      const patch = (p: Parameters<typeof machines.update>[3]) =>
        store.db.transaction((tx) => machines.update(tx, viewer, m.id, p));
      await expectProblem(patch({ identity_ref: pkh(newAccount()) }), "MACHINE_IDENTITY_IMMUTABLE");
      expect((await patch({ identity_ref: pkh(key), display_name: "R8" })).display_name).toBe("R8");
      await expectProblem(patch({ status: "blocked" }), "MACHINE_STATUS_TRANSITION_INVALID");
      expect((await patch({ status: "active" })).status).toBe("active");
      expect((await patch({ status: "degraded" })).status).toBe("degraded");
      expect((await patch({ status: "active" })).status).toBe("active");
      expect((await patch({ status: "archived" })).status).toBe("archived");
      await expectProblem(patch({ display_name: "ghost" }), "MACHINE_NOT_ACTIVE");
    });

    it("hides a machine from other principals and shows every machine to an admin", async () => {
      const key = newAccount();
      const m = await registerMachine(machines, store.db, owner, pkh(key), key);
      const stranger = { principal_id: "prn_other", admin: false };
      await expectProblem(machines.get(store.db.kysely, stranger, m.id), "MACHINE_NOT_FOUND");
      const admin = { principal_id: "prn_op", admin: true };
      expect((await machines.get(store.db.kysely, admin, m.id)).id).toBe(m.id);
      const mine = await machines.list(store.db.kysely, viewer, null, 500);
      expect(mine.every((x) => x.owner_id === owner)).toBe(true);
      expect(await machines.list(store.db.kysely, stranger, null, 10)).toEqual([]);
    });

    it("blocks on re-check once the operator registry drops the signer", async () => {
      const ref = `peaqos:machine:${Math.random().toString(36).slice(2, 10)}`;
      await expectProblem(machines.resolve(store.db.kysely, ref), "MACHINE_IDENTITY_UNRESOLVED");
      const controller = newAccount();
      await store.db.transaction((tx) =>
        machines.setRegistryControllers(tx, "prn_op", ref, [controller.address]),
      );
      const m = await registerMachine(machines, store.db, owner, ref, controller);
      expect(m.identity_proof.resolution_source).toBe("registry");
      const bound = await machines.requireBound(store.db.kysely, viewer, m.id, { active: true });
      expect(bound.status).toBe("active");
      const successor = newAccount();
      await store.db.transaction((tx) =>
        machines.setRegistryControllers(tx, "prn_op", ref, [successor.address]),
      );
      await expectProblem(
        machines.requireBound(store.db.kysely, viewer, m.id, { active: true }),
        "MACHINE_IDENTITY_PROOF_INVALID",
      );
      expect((await machines.get(store.db.kysely, viewer, m.id)).status).toBe("blocked");
      await expectProblem(
        store.db.transaction((tx) => machines.update(tx, viewer, m.id, { status: "active" })),
        "MACHINE_STATUS_TRANSITION_INVALID",
      );
      const { proof } = await signedChallenge(machines, store.db, owner, ref, successor);
      const verified = await verify(ref, proof);
      const back = await store.db.transaction((tx) => machines.reprove(tx, viewer, m.id, verified));
      expect(back.status).toBe("active");
    });

    it("refuses active-only work on a draft, and any bound write once archived", async () => {
      const key = newAccount();
      const m = await registerMachine(machines, store.db, owner, pkh(key), key, {
        activate: false,
      });
      await expectProblem(
        machines.requireBound(store.db.kysely, viewer, m.id, { active: true }),
        "MACHINE_NOT_ACTIVE",
      );
      const draft = await machines.requireBound(store.db.kysely, viewer, m.id, { active: false });
      expect(draft.status).toBe("draft");
      await store.db.transaction((tx) => machines.update(tx, viewer, m.id, { status: "archived" }));
      await expectProblem(
        machines.requireBound(store.db.kysely, viewer, m.id, { active: false }),
        "MACHINE_NOT_ACTIVE",
      );
    });

    it("purges challenges that can no longer be used", async () => {
      const key = newAccount();
      await signedChallenge(machines, store.db, owner, pkh(key), key);
      clock.advance(machineLimits.identity_challenge_ttl_ms + 1);
      expect(await machines.purgeExpired(store.db.kysely)).toBeGreaterThan(0);
      expect(await machines.purgeExpired(store.db.kysely)).toBe(0);
    });
  },
  { migrations: machineMigrations },
);
