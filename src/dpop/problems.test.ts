import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dpopChallenge, dpopProblems } from "./index.ts";

const docsDir = new URL("../../docs/problems/", import.meta.url);

describe("dpop problem catalogue", () => {
  it("documents every code on its page with its title and status", () => {
    for (const spec of Object.values(dpopProblems)) {
      const text = readFileSync(new URL(`${spec.code}.md`, docsDir), "utf8");
      expect(text, spec.code).toContain(spec.title);
      expect(text, spec.code).toContain(`HTTP ${spec.status}`);
    }
  });

  it("builds an RFC 9449 challenge that names the accepted algorithms", () => {
    expect(dpopChallenge("use_dpop_nonce", "A title")).toBe(
      'DPoP realm="agx", error="use_dpop_nonce", error_description="A title", ' +
        'algs="EdDSA Ed25519 ES256 ES384 PS256 RS256"',
    );
    expect(dpopChallenge()).toBe('DPoP realm="agx", algs="EdDSA Ed25519 ES256 ES384 PS256 RS256"');
  });
});
