import { base64url, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { manualClock } from "../kernel/clock.ts";
import { isProblem } from "../kernel/problem.ts";
import { delegationLimits } from "./limits.ts";
import { createPairingTokens, PAIRING_TOKEN_AUDIENCE } from "./tokens.ts";

const CURRENT = "current-secret-0123456789abcdef-0123";
const OLD = "previous-secret-0123456789abcdef-012";
const ISSUER = "https://hub.example";

const claims = (exp_s: number) => ({
  machineId: "mach_1",
  pairingId: "pair_1",
  sessionId: "ses_1",
  agentAddress: "0x0000000000000000000000000000000000000001",
  agentDid: "did:pkh:eip155:1:0x0000000000000000000000000000000000000001",
  delegationPolicyHash: "ab".repeat(32),
  exp: exp_s,
  jti: "pjt_1",
});

async function codeOf(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => "ok",
    (e: unknown) => (isProblem(e) ? e.code : String(e)),
  );
}

describe("pairing session tokens", () => {
  const clock = manualClock();
  const exp = () => Math.floor((clock.now_ms() + delegationLimits.pairing_token_ttl_ms) / 1000);
  const tokens = createPairingTokens({
    clock,
    secrets: { current: CURRENT },
    issuer: () => ISSUER,
  });

  it("issues an HS256 JWT with the peaq claims that verifies until it expires", async () => {
    const token = await tokens.issue(claims(exp()));
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString());
    expect(header).toEqual({ alg: "HS256", typ: "JWT" });
    expect(await tokens.verify(token)).toMatchObject({ ...claims(exp()), iss: ISSUER });
    clock.advance(delegationLimits.pairing_token_ttl_ms);
    expect(await codeOf(tokens.verify(token))).toBe("AGENT_PAIRING_TOKEN_EXPIRED");
  });

  it("refuses a token signed with another secret (forged)", async () => {
    const forged = await new SignJWT(claims(exp()))
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(PAIRING_TOKEN_AUDIENCE)
      .setIssuedAt()
      .sign(new TextEncoder().encode("attacker-secret-0123456789abcdef-01"));
    expect(await codeOf(tokens.verify(forged))).toBe("AGENT_PAIRING_TOKEN_INVALID");
  });

  it("refuses an unsigned alg:none token with valid-looking claims", async () => {
    const valid = await tokens.issue(claims(exp()));
    const payload = valid.split(".")[1];
    const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.`;
    expect(await codeOf(tokens.verify(none))).toBe("AGENT_PAIRING_TOKEN_INVALID");
  });

  it("refuses a token with its payload edited, and garbage", async () => {
    const [h, , s] = (await tokens.issue(claims(exp()))).split(".");
    const edited = base64url.encode(JSON.stringify({ ...claims(exp()), machineId: "mach_2" }));
    expect(await codeOf(tokens.verify(`${h}.${edited}.${s}`))).toBe("AGENT_PAIRING_TOKEN_INVALID");
    expect(await codeOf(tokens.verify("not.a.jwt"))).toBe("AGENT_PAIRING_TOKEN_INVALID");
  });

  it("accepts tokens of the previous secret during the grace period only", async () => {
    const before = createPairingTokens({ clock, secrets: { current: OLD }, issuer: () => ISSUER });
    const old = await before.issue(claims(exp()));
    const rotated = createPairingTokens({
      clock,
      secrets: {
        current: CURRENT,
        previous: { secret: OLD, accept_until_ms: clock.now_ms() + 60_000 },
      },
      issuer: () => ISSUER,
    });
    expect(await codeOf(rotated.verify(old))).toBe("ok");
    expect(await codeOf(tokens.verify(old))).toBe("AGENT_PAIRING_TOKEN_INVALID");
    clock.advance(60_000);
    expect(await codeOf(rotated.verify(old))).toBe("AGENT_PAIRING_TOKEN_INVALID");
  });

  it("refuses a short secret at construction (no weak built-in default)", () => {
    expect(() =>
      createPairingTokens({ clock, secrets: { current: "short" }, issuer: () => ISSUER }),
    ).toThrow(/at least/);
  });
});
