import { generateKeyPairSync, sign } from "node:crypto";
import { expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { didKeyOfEd25519 } from "./did-key.ts";
import { machineLimits } from "./limits.ts";
import { machineMigrations } from "./migrations.ts";
import { expectProblem, newAccount, TEST_HUB, testMachines } from "./testing.ts";

/** A fresh Ed25519 key pair as did:key plus a signer of UTF-8 text (base64url signature). */
function ed25519() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  return {
    did: didKeyOfEd25519(raw),
    sign: (text: string) => sign(null, Buffer.from(text, "utf8"), privateKey).toString("base64url"),
  };
}

describeStores(
  "external key bindings",
  (store) => {
    const clock = manualClock();
    const { bindings } = testMachines(clock);
    const alice = "prn_alice";
    const challenge = (who: string, key: string) =>
      store.db.transaction((tx) => bindings.challenge(tx, who, key));
    const bind = (who: string, challenge_id: string, signature: string) =>
      store.db.transaction((tx) => bindings.bind(tx, who, { challenge_id, signature }));

    it("binds an Ed25519 did:key after a signed hub challenge", async () => {
      const key = ed25519();
      const c = await challenge(alice, key.did);
      expect(c.message).toContain(TEST_HUB);
      expect(c.message).toContain(alice);
      const b = await bind(alice, c.id, key.sign(c.message));
      expect(b).toMatchObject({ key_type: "ed25519", did: key.did, principal_id: alice });
      expect((await bindings.list(store.db.kysely, alice)).map((x) => x.id)).toContain(b.id);
    });

    it("binds an EVM key (address or did:pkh) after a personal_sign of the challenge", async () => {
      const account = newAccount();
      const c = await challenge(alice, account.address.toLowerCase());
      const b = await bind(alice, c.id, await account.signMessage({ message: c.message }));
      expect(b).toMatchObject({ key_type: "evm", address: account.address });
      expect(b.did).toBe(`did:pkh:eip155:1:${account.address}`);
    });

    it("refuses another key's signature, reused or expired challenges, unknown keys", async () => {
      const key = ed25519();
      const c = await challenge(alice, key.did);
      await expectProblem(
        bind(alice, c.id, ed25519().sign(c.message)),
        "KEY_BINDING_PROOF_INVALID",
      );
      await expectProblem(
        bind("prn_mallory", c.id, key.sign(c.message)),
        "KEY_BINDING_PROOF_INVALID",
      );
      await bind(alice, c.id, key.sign(c.message));
      await expectProblem(bind(alice, c.id, key.sign(c.message)), "KEY_BINDING_PROOF_EXPIRED");
      const late = await challenge(alice, ed25519().did);
      clock.advance(machineLimits.identity_challenge_ttl_ms);
      await expectProblem(bind(alice, late.id, "x".repeat(86)), "KEY_BINDING_PROOF_EXPIRED");
      await expectProblem(challenge(alice, "did:web:example.com"), "KEY_BINDING_KEY_INVALID");
    });

    it("binds a key to one principal at a time; revoking frees it", async () => {
      const account = newAccount();
      const mine = await challenge(alice, account.address);
      const b = await bind(alice, mine.id, await account.signMessage({ message: mine.message }));
      const theirs = await challenge("prn_bob", account.address);
      const sig = await account.signMessage({ message: theirs.message });
      await expectProblem(bind("prn_bob", theirs.id, sig), "KEY_BINDING_EXISTS");
      await store.db.transaction((tx) => bindings.revoke(tx, alice, b.id));
      expect((await bind("prn_bob", theirs.id, sig)).principal_id).toBe("prn_bob");
      await expectProblem(
        store.db.transaction((tx) => bindings.revoke(tx, alice, b.id)),
        "KEY_BINDING_NOT_FOUND",
      );
    });
  },
  { migrations: machineMigrations },
);
