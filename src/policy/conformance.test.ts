import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePeacTxt } from "./peactxt.ts";

/** The shape of upstream's `policy-manifest.json`. */
interface ManifestCase {
  id: string;
  name: string;
  description: string;
  input_yaml?: string;
  input_json?: unknown;
  expected: { valid: boolean; error?: string; error_pattern?: string; [field: string]: unknown };
}

interface Manifest {
  format: string;
  fixtures: { valid: ManifestCase[]; invalid: ManifestCase[] };
}

const manifest = JSON.parse(
  readFileSync(new URL("./vectors/policy-manifest.json.txt", import.meta.url), "utf8"),
) as Manifest;

/** The fixture's input as the bytes a server would send: YAML as is, JSON serialised. */
function inputOf(fixture: ManifestCase): string {
  if (fixture.input_yaml !== undefined) return fixture.input_yaml;
  return JSON.stringify(fixture.input_json);
}

const rows = (cases: ManifestCase[]) => cases.map((c) => [c.id, c.name, c] as const);

describe("upstream peac.txt conformance vectors (policy-manifest.json)", () => {
  it("holds the 9 valid and 11 invalid peac-policy/0.1 cases this suite expects", () => {
    expect(manifest.format).toBe("peac-policy/0.1");
    expect(manifest.fixtures.valid).toHaveLength(9);
    expect(manifest.fixtures.invalid).toHaveLength(11);
  });

  it.each(rows(manifest.fixtures.valid))("accepts %s (%s) with the expected fields", (...row) => {
    const fixture = row[2];
    const result = parsePeacTxt(inputOf(fixture));
    if (!result.ok) throw new Error(`${fixture.id} rejected: ${result.message}`);
    const { valid, ...fields } = fixture.expected;
    expect(valid).toBe(true);
    expect(result.format).toBe("peac-policy/0.1");
    // Unknown fields are ignored (policy-009): `declared` holds exactly the recognised ones.
    expect(result.policy.declared).toEqual(fields);
  });

  it.each(rows(manifest.fixtures.invalid))("rejects %s (%s) with its reason", (...row) => {
    const fixture = row[2];
    const result = parsePeacTxt(inputOf(fixture));
    if (result.ok) throw new Error(`${fixture.id} was accepted`);
    expect(fixture.expected.valid).toBe(false);
    const { error, error_pattern } = fixture.expected;
    if (error !== undefined) expect(result.message).toBe(error);
    else if (error_pattern !== undefined) expect(result.message).toMatch(new RegExp(error_pattern));
    else throw new Error(`${fixture.id} names neither error nor error_pattern`);
    expect(result.upstream_code).toMatch(/^E_POLICY_/);
  });
});
