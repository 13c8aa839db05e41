import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { netProblems } from "../net/problems.ts";
import { policyProblem, policyProblems, upstreamPolicyErrors } from "./problems.ts";

const docsDir = new URL("../../docs/problems/", import.meta.url);

describe("policy and net problem catalogues", () => {
  // Mirrors test/http/problem-docs.test.ts until both catalogues are wired into the hub's.
  it("has a page for every code stating its title and status", () => {
    for (const spec of [...Object.values(policyProblems), ...Object.values(netProblems)]) {
      const text = readFileSync(new URL(`${spec.code}.md`, docsDir), "utf8");
      expect(text, spec.code).toContain(`# ${spec.code}\n`);
      expect(text, spec.code).toContain(`**${spec.title}** — HTTP ${spec.status}`);
    }
  });

  it("names the upstream E_POLICY_* error of every policy code on its page and in its body", () => {
    for (const spec of Object.values(policyProblems)) {
      const upstream = upstreamPolicyErrors[spec.code];
      expect(upstream).toMatch(/^E_POLICY_[A-Z_]+$/);
      expect(readFileSync(new URL(`${spec.code}.md`, docsDir), "utf8")).toContain(upstream);
      const body = policyProblem(spec.code, "detail", { pointer: "/usage" }).toBody();
      expect(body).toMatchObject({ code: spec.code, upstream_code: upstream, status: spec.status });
      expect(body.errors).toEqual([{ pointer: "/usage", detail: "detail" }]);
    }
  });
});
