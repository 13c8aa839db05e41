import { generateKeyPair, generateProof } from "dpop";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../support/hub.ts";

describe("DPoP-bound API keys (RFC 9449)", () => {
  let t: TestHub;
  let keypair: Awaited<ReturnType<typeof generateKeyPair>>;
  let bound = "";
  let unbound = "";
  const url = "http://hub.test/api/v1/me";

  beforeAll(async () => {
    t = await startTestHub();
    keypair = await generateKeyPair("ES256");
    const jkt = await calculateJwkThumbprint(await exportJWK(keypair.publicKey), "sha256");
    const reg = await t.call("POST", "/api/agents/register", { body: { handle: "dpopagent" } });
    unbound = reg.body.apiKey;
    const created = await t.call("POST", "/api/v1/keys", {
      key: unbound,
      body: { scope: "read", dpop_jkt: jkt },
    });
    expect(created.body.key.dpop_jkt).toBe(jkt);
    bound = created.body.secret;
  });
  afterAll(() => t.close());

  const me = (authorization: string, proof?: string) =>
    t.hub.app.inject({
      method: "GET",
      url: "/api/v1/me",
      headers: { host: "hub.test", authorization, ...(proof ? { dpop: proof } : {}) },
    });

  it("accepts a bound key with a fresh proof of its key from the dpop client", async () => {
    const proof = await generateProof(keypair, url, "GET", undefined, bound);
    const res = await me(`DPoP ${bound}`, proof);
    expect(res.statusCode).toBe(200);
  });

  it("refuses the same proof twice", async () => {
    const proof = await generateProof(keypair, url, "GET", undefined, bound);
    expect((await me(`DPoP ${bound}`, proof)).statusCode).toBe(200);
    const replay = await me(`DPoP ${bound}`, proof);
    expect(replay.statusCode).toBe(401);
    expect(JSON.parse(replay.body).code).toBe("DPOP_PROOF_REPLAYED");
  });

  it("refuses a bound key sent as a Bearer token or without a proof", async () => {
    const bearer = await me(`Bearer ${bound}`);
    expect(bearer.statusCode).toBe(401);
    expect(String(bearer.headers["www-authenticate"])).toMatch(/^DPoP /);
    expect(JSON.parse((await me(`DPoP ${bound}`)).body).code).toBe("DPOP_PROOF_MISSING");
  });

  it("refuses a proof made with another key, for another URL, or without the token hash", async () => {
    const other = await generateKeyPair("ES256");
    const foreign = await me(
      `DPoP ${bound}`,
      await generateProof(other, url, "GET", undefined, bound),
    );
    expect(JSON.parse(foreign.body).code).toBe("DPOP_KEY_MISMATCH");
    const elsewhere = await me(
      `DPoP ${bound}`,
      await generateProof(keypair, "http://hub.test/api/v1/keys", "GET", undefined, bound),
    );
    expect(JSON.parse(elsewhere.body).code).toBe("DPOP_PROOF_INVALID");
    const noAth = await me(`DPoP ${bound}`, await generateProof(keypair, url, "GET"));
    expect(noAth.statusCode).toBe(401);
  });

  it("keeps unbound keys on Bearer and refuses them as DPoP", async () => {
    expect((await me(`Bearer ${unbound}`)).statusCode).toBe(200);
    const proof = await generateProof(keypair, url, "GET", undefined, unbound);
    expect((await me(`DPoP ${unbound}`, proof)).statusCode).toBe(401);
  });
});

describe("DPoP with server nonces required", () => {
  let t: TestHub;
  it("challenges with DPoP-Nonce, then accepts a proof that echoes it", async () => {
    t = await startTestHub({ config: { dpop_require_nonce: true } });
    try {
      const keypair = await generateKeyPair("ES256");
      const jkt = await calculateJwkThumbprint(await exportJWK(keypair.publicKey), "sha256");
      const reg = await t.call("POST", "/api/agents/register", { body: { handle: "noncer" } });
      const bound = (
        await t.call("POST", "/api/v1/keys", {
          key: reg.body.apiKey,
          body: { scope: "read", dpop_jkt: jkt },
        })
      ).body.secret;
      const url = "http://hub.test/api/v1/me";
      const ask = (proof: string) =>
        t.hub.app.inject({
          method: "GET",
          url: "/api/v1/me",
          headers: { host: "hub.test", authorization: `DPoP ${bound}`, dpop: proof },
        });
      const first = await ask(await generateProof(keypair, url, "GET", undefined, bound));
      expect(first.statusCode).toBe(401);
      expect(JSON.parse(first.body).code).toBe("DPOP_NONCE_REQUIRED");
      expect(String(first.headers["www-authenticate"])).toContain('error="use_dpop_nonce"');
      const nonce = String(first.headers["dpop-nonce"]);
      expect((await ask(await generateProof(keypair, url, "GET", nonce, bound))).statusCode).toBe(
        200,
      );
    } finally {
      await t.close();
    }
  });
});
