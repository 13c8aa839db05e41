import { randomBytes } from "node:crypto";
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from "dpop";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { createDpop, dpopMigrations } from "./index.ts";
import {
  claimsAt,
  flipChar,
  NONCE_SECRET,
  problemOf,
  REQUEST_URL,
  rawProof,
  signProof,
  type TestKey,
  testKey,
} from "./testing.ts";

describeStores(
  "dpop proofs",
  (store) => {
    const clock = manualClock();
    const dpop = createDpop({ clock, nonce_secret: NONCE_SECRET });
    const verify = (proof: string | string[] | undefined, extra: object = {}) =>
      dpop.verifyProof(store.db.kysely, { proof, method: "GET", url: REQUEST_URL, ...extra });
    let client: KeyPair;
    let key: TestKey;

    beforeAll(async () => {
      client = await generateKeyPair("ES256");
      key = await testKey("EdDSA");
    });
    // The `dpop` client stamps iat from the wall clock, so each test starts the server clock there
    // (on a whole second, so that iat arithmetic in the tests is exact).
    beforeEach(() => clock.set(Math.floor(Date.now() / 1000) * 1000));
    const now_s = () => clock.now_ms() / 1000;

    describe("accepts", () => {
      it.each(["Ed25519", "ES256", "PS256", "RS256"] as const)(
        "a fresh %s proof from the dpop client and records its jti",
        async (alg) => {
          const pair = await generateKeyPair(alg);
          const proof = await generateProof(pair, REQUEST_URL, "GET");
          const verified = await verify(proof);
          expect(verified.jkt).toBe(await calculateThumbprint(pair.publicKey));
          expect(verified.iat).toBeCloseTo(clock.now_ms() / 1000, -1);
          const rows = await store.db.kysely
            .selectFrom("dpop_jtis")
            .select(["jkt", "jti"])
            .where("jti", "=", verified.jti)
            .execute();
          expect(rows).toEqual([{ jkt: verified.jkt, jti: verified.jti }]);
        },
      );

      it("a proof labelled alg EdDSA, returning only the public thumbprint members", async () => {
        const verified = await verify(await signProof(key, claimsAt(clock)));
        expect(verified.jkt).toBe(key.jkt);
        expect(verified.jwk).toEqual({ kty: "OKP", crv: "Ed25519", x: key.publicJwk.x });
      });

      it("a proof bound to the access token (ath) and to the credential's key (jkt)", async () => {
        const proof = await generateProof(client, REQUEST_URL, "GET", undefined, "sk_agx_token");
        const expectedJkt = await calculateThumbprint(client.publicKey);
        const verified = await verify(proof, { accessToken: "sk_agx_token", expectedJkt });
        expect(verified.jkt).toBe(expectedJkt);
      });

      it("an htu that differs only by case, default port, query and fragment", async () => {
        const htu = "HTTPS://Hub.Example:443/api/v1/%6Frders?page=1#top";
        const proof = await generateProof(client, htu, "GET");
        await expect(verify(proof, { url: `${REQUEST_URL}?page=2` })).resolves.toBeDefined();
      });
    });

    describe("refuses", () => {
      it("a request without a DPoP header", async () => {
        const problem = await problemOf(verify(undefined));
        expect(problem.code).toBe("DPOP_PROOF_MISSING");
        expect(problem.status).toBe(401);
        expect(problem.headers["www-authenticate"]).toContain('error="invalid_dpop_proof"');
      });

      it("the same proof a second time, as a replay", async () => {
        const proof = await generateProof(client, REQUEST_URL, "GET");
        await verify(proof);
        const problem = await problemOf(verify(proof));
        expect(problem.code).toBe("DPOP_PROOF_REPLAYED");
        expect(problem.toBody()).toMatchObject({ peac_code: "E_DPOP_REPLAY", dpop_check: "jti" });
        expect(problem.headers["www-authenticate"]).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
      });

      it("two DPoP headers, as an array or joined by a comma", async () => {
        const a = await generateProof(client, REQUEST_URL, "GET");
        const b = await generateProof(client, REQUEST_URL, "GET");
        for (const value of [[a, b], `${a}, ${b}`]) {
          const problem = await problemOf(verify(value));
          expect(problem.toBody()).toMatchObject({
            code: "DPOP_PROOF_INVALID",
            peac_code: "E_DPOP_INVALID",
            dpop_check: "header",
          });
        }
      });

      it("a proof for another method (htm)", async () => {
        const proof = await generateProof(client, REQUEST_URL, "POST");
        const problem = await problemOf(verify(proof));
        expect(problem.extensions.dpop_check).toBe("htm");
        expect(problem.detail).toContain('"POST" does not match the request method GET');
      });

      it("a proof for another path (htu)", async () => {
        const proof = await generateProof(client, `${REQUEST_URL}/ord_1`, "GET");
        const problem = await problemOf(verify(proof));
        expect(problem.extensions.dpop_check).toBe("htu");
      });

      it("a proof issued 300 s ago or more, and accepts one issued 299 s ago", async () => {
        const old = await signProof(key, claimsAt(clock, { iat: now_s() - 300 }));
        expect((await problemOf(verify(old))).extensions.dpop_check).toBe("iat");
        const fresh = await signProof(key, claimsAt(clock, { iat: now_s() - 299 }));
        await expect(verify(fresh)).resolves.toBeDefined();
      });

      it("a proof from the client once the server clock is past its 5 minutes", async () => {
        const proof = await generateProof(client, REQUEST_URL, "GET");
        // A second past the window: the client may stamp iat a second after beforeEach.
        clock.advance(301_000);
        const problem = await problemOf(verify(proof));
        expect(problem.detail).toContain("it must be younger than 300 s");
      });

      it("a proof dated more than 60 s ahead, and accepts one 60 s ahead", async () => {
        const ahead = await signProof(key, claimsAt(clock, { iat: now_s() + 61 }));
        expect((await problemOf(verify(ahead))).detail).toContain("61 s in the future");
        const skewed = await signProof(key, claimsAt(clock, { iat: now_s() + 60 }));
        await expect(verify(skewed)).resolves.toBeDefined();
      });

      it("a proof with no ath, or the ath of another token, beside a token", async () => {
        const without = await generateProof(client, REQUEST_URL, "GET");
        const other = await generateProof(client, REQUEST_URL, "GET", undefined, "other-token");
        for (const proof of [without, other]) {
          const problem = await problemOf(verify(proof, { accessToken: "sk_agx_token" }));
          expect(problem.extensions.dpop_check).toBe("ath");
          expect(problem.detail).not.toContain("sk_agx_token");
        }
      });

      it("a typ other than dpop+jwt", async () => {
        for (const typ of ["JWT", "application/dpop+jwt", undefined]) {
          const proof = await signProof(key, claimsAt(clock), { typ });
          expect((await problemOf(verify(proof))).extensions.dpop_check).toBe("typ");
        }
      });

      it("alg none and HS256, even with a matching signature", async () => {
        const header = { alg: "none", typ: "dpop+jwt", jwk: key.publicJwk };
        const unsigned = rawProof(header, claimsAt(clock));
        // The classic confusion attack: the HMAC secret travels in the jwk of the proof itself.
        const secret = randomBytes(32);
        const hs256 = await signProof(
          {
            alg: "HS256",
            privateKey: secret,
            publicJwk: { kty: "oct", k: secret.toString("base64url") },
          },
          claimsAt(clock),
        );
        for (const proof of [unsigned, hs256]) {
          const problem = await problemOf(verify(proof));
          expect(problem.extensions.dpop_check).toBe("alg");
        }
      });

      it("a jwk header that carries the private key", async () => {
        const proof = await signProof(key, claimsAt(clock), { jwk: key.privateJwk });
        const problem = await problemOf(verify(proof));
        expect(problem.extensions.dpop_check).toBe("jwk");
        expect(problem.detail).toContain("private key members (d)");
      });

      it("a jwk that does not fit the alg", async () => {
        const header = { alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk };
        const proof = rawProof(header, claimsAt(clock), "c2lnbmF0dXJl");
        expect((await problemOf(verify(proof))).detail).toBe(
          "alg ES256 needs a jwk with kty EC and crv P-256",
        );
      });

      it("a proof signed by a key other than the one in its jwk header", async () => {
        const other = await testKey("EdDSA");
        const proof = await signProof(other, claimsAt(clock), { jwk: key.publicJwk });
        expect((await problemOf(verify(proof))).extensions.dpop_check).toBe("signature");
      });

      it("a proof whose signature or payload was altered", async () => {
        const proof = await generateProof(client, REQUEST_URL, "GET");
        const [h, p, s] = proof.split(".") as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
        const forged = Buffer.from(JSON.stringify({ ...claims, htm: "DELETE" }));
        const tampered = [
          { proof: `${h}.${p}.${flipChar(s, 10)}`, method: "GET" },
          { proof: `${h}.${forged.toString("base64url")}.${s}`, method: "DELETE" },
        ];
        for (const { proof: altered, method } of tampered) {
          const problem = await problemOf(verify(altered, { method }));
          expect(problem.extensions.dpop_check).toBe("signature");
        }
      });

      it("a key other than the credential's (jkt), without using up the proof", async () => {
        const proof = await signProof(key, claimsAt(clock));
        const other = await testKey("ES256");
        const problem = await problemOf(verify(proof, { expectedJkt: other.jkt }));
        expect(problem.code).toBe("DPOP_KEY_MISMATCH");
        expect(problem.headers["www-authenticate"]).toContain('error="invalid_token"');
        await expect(verify(proof, { expectedJkt: key.jkt })).resolves.toBeDefined();
      });
    });
  },
  { migrations: dpopMigrations },
);
