import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { delegationProblems } from "../../src/delegation/index.ts";
import { machineProblems } from "../../src/machines/index.ts";

const docsDir = new URL("../../docs/problems/", import.meta.url);

describe("machine and delegation problem pages", () => {
  it("documents every code with its title and status", () => {
    for (const spec of [...Object.values(machineProblems), ...Object.values(delegationProblems)]) {
      const page = new URL(`${spec.code}.md`, docsDir);
      expect(existsSync(page), spec.code).toBe(true);
      const text = readFileSync(page, "utf8");
      expect(text, spec.code).toContain(spec.title);
      expect(text, spec.code).toContain(`HTTP ${spec.status}`);
    }
  });
});
