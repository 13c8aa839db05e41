import { generateKeyPair, generateProof } from "dpop";
import { beforeAll, beforeEach, expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { isProblem } from "../kernel/problem.ts";
import { createDpop, dpopMigrations } from "./index.ts";
import {
  claimsAt,
  NONCE_SECRET,
  problemOf,
  REQUEST_URL,
  signProof,
  type TestKey,
  testKey,
} from "./testing.ts";

describeStores(
  "dpop replay cache",
  (store) => {
    const clock = manualClock();
    const dpop = createDpop({ clock, nonce_secret: NONCE_SECRET });
    const verify = (proof: string) =>
      dpop.verifyProof(store.db.kysely, { proof, method: "GET", url: REQUEST_URL });
    const jtiRows = async (jti: string) =>
      store.db.kysely.selectFrom("dpop_jtis").selectAll().where("jti", "=", jti).execute();
    let key: TestKey;

    beforeAll(async () => {
      key = await testKey("EdDSA");
    });
    beforeEach(() => clock.set(Math.floor(Date.now() / 1000) * 1000));

    it("accepts exactly one of 10 concurrent copies of a proof", async () => {
      const proof = await generateProof(await generateKeyPair("ES256"), REQUEST_URL, "GET");
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => verify(proof)));
      const accepted = results.filter((r) => r.status === "fulfilled");
      const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      expect(accepted).toHaveLength(1);
      expect(refused.map((e) => (isProblem(e) ? e.code : String(e)))).toEqual(
        Array(9).fill("DPOP_PROOF_REPLAYED"),
      );
      const jti = accepted[0]?.status === "fulfilled" ? accepted[0].value.jti : "";
      expect(await jtiRows(jti)).toHaveLength(1);
    });

    it("keeps a jti until the proof is too old, then refuses the proof for its age", async () => {
      const claims = claimsAt(clock);
      const proof = await signProof(key, claims);
      await verify(proof);
      const [row] = await jtiRows(claims.jti);
      expect(Number(row?.expires_at_ms)).toBe(claims.iat * 1000 + 300_000);
      clock.advance(299_000);
      expect((await problemOf(verify(proof))).code).toBe("DPOP_PROOF_REPLAYED");
      clock.advance(1_000);
      expect((await problemOf(verify(proof))).extensions.dpop_check).toBe("iat");
    });

    it("treats the same jti under another key as another proof", async () => {
      const other = await testKey("ES256");
      const claims = claimsAt(clock);
      await verify(await signProof(key, claims));
      await expect(verify(await signProof(other, claims))).resolves.toMatchObject({
        jkt: other.jkt,
      });
    });

    it("lets a new proof reuse a jti whose row expired but was not purged yet", async () => {
      const claims = claimsAt(clock);
      await verify(await signProof(key, claims));
      clock.advance(300_000);
      const later = await signProof(key, { ...claims, iat: claims.iat + 300 });
      await expect(verify(later)).resolves.toMatchObject({ jti: claims.jti });
      expect(await jtiRows(claims.jti)).toHaveLength(1);
    });

    it("purges expired rows in bounded batches and keeps live ones", async () => {
      // Start an hour on, with every row of the earlier tests expired and purged.
      clock.advance(3_600_000);
      await dpop.purgeExpired(store.db.kysely, 10_000);
      const old = [claimsAt(clock), claimsAt(clock), claimsAt(clock)];
      for (const claims of old) await verify(await signProof(key, claims));
      clock.advance(240_000);
      const live = claimsAt(clock);
      await verify(await signProof(key, live));
      clock.advance(60_000);
      expect(await dpop.purgeExpired(store.db.kysely, 2)).toBe(2);
      expect(await dpop.purgeExpired(store.db.kysely, 2)).toBe(1);
      expect(await dpop.purgeExpired(store.db.kysely, 2)).toBe(0);
      expect(await jtiRows(live.jti)).toHaveLength(1);
      for (const claims of old) expect(await jtiRows(claims.jti)).toHaveLength(0);
    });
  },
  { migrations: dpopMigrations },
);
