import { describe, expect, it } from "vitest";
import type { PeacPolicy, PeacTxtResult } from "./model.ts";
import { parsePeacTxt } from "./peactxt.ts";
import { peacTxtTemplate, serializeSeedPeacTxt } from "./serialize.ts";

function policyOf(result: PeacTxtResult): PeacPolicy {
  if (!result.ok) throw new Error(`expected acceptance, got ${result.code}: ${result.message}`);
  return result.policy;
}

/** The normalised fields, without the document's own wording. */
function normalised(policy: PeacPolicy) {
  const { raw: _raw, declared: _declared, ...rest } = policy;
  return rest;
}

describe("serializeSeedPeacTxt", () => {
  it("writes a seed peac.txt that reads back to the same policy", () => {
    const policy = policyOf(parsePeacTxt(peacTxtTemplate("seed-0.9.14")));
    const again = policyOf(parsePeacTxt(serializeSeedPeacTxt(policy)));
    expect(normalised(again)).toEqual(normalised(policy));
  });

  it("writes the price the seed way, exact to the last decimal", () => {
    const policy = policyOf(
      parsePeacTxt("version: 0.9.14\nusage: conditional\nprice: $0.000125/request"),
    );
    const text = serializeSeedPeacTxt(policy);
    expect(text).toContain("price: $0.000125/request\n");
    expect(text).toContain("currency: USD\n");
  });

  it("carries an upstream policy's terms over into the seed format", () => {
    const upstream = policyOf(
      parsePeacTxt(
        'version: "peac-policy/0.1"\nusage: open\nprice: 250\ncurrency: EUR\n' +
          "purposes: [crawl, index]\nrate_limit: 60/minute\nattribution: optional",
      ),
    );
    const text = serializeSeedPeacTxt(upstream);
    expect(text).toContain("price: 2.50/request\n");
    const seed = policyOf(parsePeacTxt(text));
    expect(seed.format).toBe("seed-0.9.14");
    expect(seed.price).toEqual(upstream.price);
    expect(seed.purposes_allowed).toEqual(["crawl", "index"]);
    expect(seed.rate_limit).toEqual(upstream.rate_limit);
    expect(seed.attribution.requirement).toBe("optional");
  });

  it("quotes values YAML would otherwise read as something else", () => {
    const policy = policyOf(
      parsePeacTxt('version: 0.9.14\nusage: open\nconsent: "true"\nattribution_format: "a: b"'),
    );
    const again = policyOf(parsePeacTxt(serializeSeedPeacTxt(policy)));
    expect(again.consent).toBe("true");
    expect(again.attribution.format).toBe("a: b");
  });
});

describe("peacTxtTemplate", () => {
  it("gives a valid document in each format, with no warnings", () => {
    for (const format of ["seed-0.9.14", "peac-policy/0.1"] as const) {
      const result = parsePeacTxt(peacTxtTemplate(format), { formats: [format] });
      expect(result.ok && result.warnings, format).toEqual([]);
    }
  });
});
