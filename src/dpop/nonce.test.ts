import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { createDpop, dpopMigrations } from "./index.ts";
import { createNonces } from "./nonce.ts";
import { NONCE_SECRET, problemOf, REQUEST_URL } from "./testing.ts";

describeStores(
  "dpop nonces",
  (store) => {
    const clock = manualClock();
    const dpop = createDpop({ clock, nonce_secret: NONCE_SECRET });
    const verify = (proof: string, requireNonce = true) =>
      dpop.verifyProof(store.db.kysely, { proof, method: "GET", url: REQUEST_URL, requireNonce });
    let client: KeyPair;

    beforeAll(async () => {
      client = await generateKeyPair("ES256");
    });
    // The `dpop` client stamps iat from the wall clock; nonces follow the server's manual clock.
    beforeEach(() => clock.set(Date.now()));

    it("answers a proof without a nonce with use_dpop_nonce and a fresh DPoP-Nonce", async () => {
      const problem = await problemOf(verify(await generateProof(client, REQUEST_URL, "GET")));
      expect(problem.code).toBe("DPOP_NONCE_REQUIRED");
      expect(problem.status).toBe(401);
      expect(problem.headers["dpop-nonce"]).toBe(dpop.issueNonce());
      expect(problem.headers["www-authenticate"]).toContain('error="use_dpop_nonce"');
      expect(problem.extensions).toMatchObject({
        dpop_check: "nonce",
        peac_code: "E_DPOP_INVALID",
      });
    });

    it("accepts the retry that carries the nonce from the challenge", async () => {
      const first = await problemOf(verify(await generateProof(client, REQUEST_URL, "GET")));
      const nonce = first.headers["dpop-nonce"];
      const retry = await generateProof(client, REQUEST_URL, "GET", nonce);
      await expect(verify(retry)).resolves.toMatchObject({ jkt: expect.any(String) });
    });

    it("accepts a nonce from the previous 5-minute bucket", async () => {
      const now_ms = clock.now_ms();
      clock.set(now_ms - 300_000);
      const nonce = dpop.issueNonce();
      clock.set(now_ms);
      const proof = await generateProof(client, REQUEST_URL, "GET", nonce);
      await expect(verify(proof)).resolves.toBeDefined();
    });

    it("refuses a nonce issued two buckets ago and hands out a new one", async () => {
      const now_ms = clock.now_ms();
      clock.set(now_ms - 600_000);
      const stale = dpop.issueNonce();
      clock.set(now_ms);
      const problem = await problemOf(
        verify(await generateProof(client, REQUEST_URL, "GET", stale)),
      );
      expect(problem.code).toBe("DPOP_NONCE_REQUIRED");
      expect(problem.detail).toContain("not a current nonce of this server");
      expect(problem.detail).not.toContain(stale);
      expect(problem.headers["dpop-nonce"]).not.toBe(stale);
    });

    it("refuses a nonce made with another secret", async () => {
      const foreign = createDpop({ clock, nonce_secret: `${NONCE_SECRET}-other` }).issueNonce();
      const proof = await generateProof(client, REQUEST_URL, "GET", foreign);
      expect((await problemOf(verify(proof))).code).toBe("DPOP_NONCE_REQUIRED");
    });

    it("ignores the nonce claim when the route does not require one", async () => {
      const proof = await generateProof(client, REQUEST_URL, "GET", "whatever");
      await expect(verify(proof, false)).resolves.toBeDefined();
    });
  },
  { migrations: dpopMigrations },
);

describe("dpop nonce issuing", () => {
  it("gives every process sharing the secret the same nonce, so any of them accepts it", () => {
    const clock = manualClock();
    const a = createNonces(clock, NONCE_SECRET);
    const b = createNonces(clock, NONCE_SECRET);
    expect(b.isCurrent(a.issue())).toBe(true);
    expect(a.issue()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a secret shorter than 32 bytes at startup", () => {
    expect(() => createNonces(manualClock(), "short")).toThrow(/at least 32 bytes/);
  });

  it("treats anything but a string as no nonce", () => {
    const nonces = createNonces(manualClock(), NONCE_SECRET);
    for (const value of [undefined, null, 42, { nonce: nonces.issue() }]) {
      expect(nonces.isCurrent(value)).toBe(false);
    }
  });
});
