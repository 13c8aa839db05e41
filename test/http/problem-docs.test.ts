import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allProblems } from "../../src/http/catalogue.ts";

const docsDir = new URL("../../docs/problems/", import.meta.url);

describe("problem catalogue", () => {
  const codes = allProblems();
  const pages = readdirSync(docsDir)
    .filter((f) => f.endsWith(".md"))
    .map((f) => f.slice(0, -3));

  it("has a documentation page for every problem code", () => {
    const missing = [...codes.keys()].filter((c) => !pages.includes(c));
    expect(missing, "codes without docs/problems/<CODE>.md").toEqual([]);
  });

  it("has no documentation page without its problem code", () => {
    const orphans = pages.filter((p) => !codes.has(p));
    expect(orphans, "pages whose code no module defines").toEqual([]);
  });

  it("states each code's title and status on its page", () => {
    for (const [code, spec] of codes) {
      const text = readFileSync(new URL(`${code}.md`, docsDir), "utf8");
      expect(text, code).toContain(spec.title);
      expect(text, code).toContain(`HTTP ${spec.status}`);
    }
  });
});
