import { describe, expect, it } from "vitest";
import type { PeacTxtFailure, PeacTxtResult, PeacTxtSuccess } from "./model.ts";
import { parsePeacTxt, parsePeacTxtBytes } from "./peactxt.ts";

const HEAD = 'version: "peac-policy/0.1"\nusage: open\n';

function rejected(result: PeacTxtResult): PeacTxtFailure {
  if (result.ok) throw new Error("expected the document to be rejected");
  return result;
}

function accepted(result: PeacTxtResult): PeacTxtSuccess {
  if (!result.ok) throw new Error(`expected acceptance, got ${result.code}: ${result.message}`);
  return result;
}

describe("safe YAML", () => {
  it("rejects YAML anchors as E_POLICY_YAML_INJECTION", () => {
    const result = rejected(parsePeacTxt(`${HEAD}contact: &a someone@example.com`));
    expect(result).toMatchObject({
      code: "POLICY_YAML_UNSAFE",
      upstream_code: "E_POLICY_YAML_INJECTION",
      message: "YAML anchors and aliases are not allowed",
      pointer: "/contact",
    });
  });

  it("rejects an alias bomb before expanding a single alias", () => {
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, name] of ["b", "c", "d", "e", "f", "g", "h"].entries()) {
      const prev = String.fromCharCode(97 + i);
      rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const result = rejected(parsePeacTxt(`${HEAD}${rows.join("\n")}`));
    expect(result.upstream_code).toBe("E_POLICY_YAML_INJECTION");
  });

  it("rejects merge keys as E_POLICY_YAML_INJECTION, quoted or not", () => {
    for (const key of ["<<", '"<<"']) {
      const result = rejected(parsePeacTxt(`${HEAD}extra:\n  ${key}: {a: 1}`));
      expect(result.message).toBe("YAML merge keys are not allowed");
      expect(result.pointer).toBe("/extra/<<");
    }
  });

  it("rejects custom tags but accepts the core schema's own", () => {
    const custom = rejected(parsePeacTxt(`${HEAD}license: !license MIT`));
    expect(custom).toMatchObject({ code: "POLICY_YAML_UNSAFE", pointer: "/license" });
    const python = rejected(parsePeacTxt(`${HEAD}x: !!python/object:os.system ls`));
    expect(python.message).toBe("YAML custom tags are not allowed");
    accepted(parsePeacTxt(`${HEAD}license: !!str 2024`));
  });

  it("rejects a second document as E_POLICY_MULTI_DOCUMENT but allows one leading ---", () => {
    const result = rejected(parsePeacTxt(`---\n${HEAD}---\n${HEAD}`));
    expect(result).toMatchObject({
      code: "POLICY_MULTI_DOCUMENT",
      upstream_code: "E_POLICY_MULTI_DOCUMENT",
    });
    expect(rejected(parsePeacTxt(`${HEAD}---\n`)).code).toBe("POLICY_MULTI_DOCUMENT");
    accepted(parsePeacTxt(`---\n${HEAD}`));
  });

  it("resolves scalars by the YAML 1.2 core schema, where yes is a string", () => {
    const result = accepted(parsePeacTxt(`${HEAD}contact: yes\nfuture: 0o17\nlater: 2024-01-01`));
    expect(result.policy.contact).toBe("yes");
    expect(result.policy.raw).toMatchObject({ future: 15, later: "2024-01-01" });
  });

  it("rejects duplicate and non-string keys as E_POLICY_INVALID", () => {
    expect(rejected(parsePeacTxt(`${HEAD}usage: conditional`)).upstream_code).toBe(
      "E_POLICY_INVALID",
    );
    const numeric = rejected(parsePeacTxt(`${HEAD}1: one`));
    expect(numeric.message).toBe("Mapping keys must be strings");
  });

  it("reports a syntax error with its line", () => {
    const result = rejected(parsePeacTxt(`${HEAD}purposes: [crawl, index`));
    expect(result.code).toBe("POLICY_INVALID");
    expect(result.message).toMatch(/^Not valid YAML: .* at line \d+/);
  });
});

describe("strict JSON", () => {
  it("rejects duplicate keys, which JSON.parse would silently accept", () => {
    const text = '{"version":"peac-policy/0.1","usage":"open","usage":"conditional"}';
    expect(JSON.parse(text).usage).toBe("conditional");
    const result = rejected(parsePeacTxt(text));
    expect(result).toMatchObject({
      code: "POLICY_INVALID",
      message: "Duplicate keys are not allowed",
      pointer: "/usage",
    });
  });

  it("locates a duplicate inside nested objects and arrays", () => {
    const text = '{"version":"peac-policy/0.1","usage":"open","x":[{"a":1},{"b":{"c":1,"c":2}}]}';
    expect(rejected(parsePeacTxt(text)).pointer).toBe("/x/1/b/c");
  });

  it("is not fooled by keys hidden in string values or escapes", () => {
    const text =
      '{"version":"peac-policy/0.1","usage":"open","contact":"\\"usage\\": 1","u\\u0073age2":1}';
    accepted(parsePeacTxt(text));
  });

  it("rejects trailing commas and comments", () => {
    const text = '{"version":"peac-policy/0.1","usage":"open",}';
    expect(rejected(parsePeacTxt(text)).message).toMatch(/^Not valid JSON/);
  });

  it("reads JSON when the content type says so, whatever the first character", () => {
    const text = '  \n{"version":"peac-policy/0.1","usage":"open"}';
    const result = accepted(
      parsePeacTxt(text, { content_type: "application/json; charset=utf-8" }),
    );
    expect(result.policy.usage).toBe("open");
  });
});

describe("size limits", () => {
  it("rejects a document over 256 KiB as E_POLICY_TOO_LARGE", () => {
    const result = rejected(parsePeacTxt(`${HEAD}# ${"x".repeat(262_144)}`));
    expect(result).toMatchObject({ code: "POLICY_TOO_LARGE", upstream_code: "E_POLICY_TOO_LARGE" });
  });

  it("counts bytes, not characters", () => {
    const text = `${HEAD}contact: "${"é".repeat(131_060)}"`;
    expect(text.length).toBeLessThan(262_144);
    expect(rejected(parsePeacTxt(text)).code).toBe("POLICY_TOO_LARGE");
  });

  it("rejects nesting deeper than 8 levels in YAML and JSON", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    accepted(parsePeacTxt(`${HEAD}x: ${deep(7)}`));
    expect(rejected(parsePeacTxt(`${HEAD}x: ${deep(8)}`)).pointer).toBe("/x/0/0/0/0/0/0/0");
    const json = `{"version":"peac-policy/0.1","usage":"open","x":${deep(8)}}`;
    expect(rejected(parsePeacTxt(json)).code).toBe("POLICY_TOO_LARGE");
  });

  it("rejects a list of more than 1000 items", () => {
    const items = (n: number) => Array(n).fill("crawl").join(", ");
    accepted(parsePeacTxt(`${HEAD}purposes: [${items(1000)}]`));
    const result = rejected(parsePeacTxt(`${HEAD}purposes: [${items(1001)}]`));
    expect(result).toMatchObject({ code: "POLICY_TOO_LARGE", pointer: "/purposes" });
  });

  it("rejects a string over 64 KiB", () => {
    const result = rejected(parsePeacTxt(`${HEAD}contact: ${"x".repeat(65_537)}`));
    expect(result).toMatchObject({ code: "POLICY_TOO_LARGE", pointer: "/contact" });
  });

  it("rejects bytes that are not UTF-8 instead of guessing", () => {
    const bytes = Buffer.concat([Buffer.from(`${HEAD}contact: `), Buffer.from([0xff, 0xfe])]);
    expect(rejected(parsePeacTxtBytes(bytes)).message).toBe("The policy is not valid UTF-8");
  });
});

describe("document shape", () => {
  it("rejects empty documents and top levels that are not mappings", () => {
    for (const text of ["", "# nothing\n", "---\n", "- a\n- b", "just text", "[1]"]) {
      expect(rejected(parsePeacTxt(text)).code, JSON.stringify(text)).toBe("POLICY_INVALID");
    }
  });

  it("reads the peac-policy major 0 only and newer minors with a warning", () => {
    const newer = accepted(parsePeacTxt('version: "peac-policy/0.2"\nusage: open'));
    expect(newer.warnings.map((w) => w.code)).toEqual(["version_minor_newer"]);
    const major = rejected(parsePeacTxt('version: "peac-policy/1.0"\nusage: open'));
    expect(major.message).toMatch(/^Unsupported policy version/);
    expect(rejected(parsePeacTxt('version: "peac-policy/x"\nusage: open')).pointer).toBe(
      "/version",
    );
  });

  it("refuses the seed profile when only peac-policy/0.1 is accepted", () => {
    const text = "version: 0.9.14\nusage: open";
    accepted(parsePeacTxt(text));
    const pinned = rejected(parsePeacTxt(text, { formats: ["peac-policy/0.1"] }));
    expect(pinned.message).toBe('Invalid version format: "0.9.14". Must start with "peac-policy/"');
  });
});
