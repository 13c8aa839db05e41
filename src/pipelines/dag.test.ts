import { describe, expect, it } from "vitest";
import { isProblem } from "../kernel/problem.ts";
import { parseReference, readPointer, resolveInput, sinksOf, topologicalOrder } from "./dag.ts";
import type { PipelineNode } from "./model.ts";

const node = (id: string, extra: Partial<PipelineNode> = {}): PipelineNode => ({
  id,
  product_id: "p",
  capability_id: "c@v1",
  ...extra,
});

function problemOf(work: () => unknown) {
  try {
    work();
  } catch (error) {
    if (isProblem(error)) return error;
    throw error;
  }
  throw new Error("expected a problem");
}

describe("pipeline DAGs", () => {
  it("orders nodes after everything they wait for, keeping the request's order otherwise", () => {
    const order = topologicalOrder([
      node("c", { input_from: { text: "b#/x" } }),
      node("a"),
      node("b", { depends_on: ["a"] }),
      node("d"),
    ]);
    expect(order.map((n) => n.id)).toEqual(["a", "b", "c", "d"]);
  });

  it("refuses cycles, unknown and self references, duplicates and malformed pointers", () => {
    const cases: [PipelineNode[], RegExp][] = [
      [[node("a", { depends_on: ["b"] }), node("b", { input_from: "a" })], /cycle through a, b/],
      [[node("a", { depends_on: ["zz"] })], /unknown node zz/],
      [[node("a", { depends_on: ["a"] })], /depends on itself/],
      [[node("a"), node("a")], /duplicate node id a/],
      [[node("a"), node("b", { input_from: "a#x" })], /not <node>#\/json\/pointer/],
      [[node("a"), node("b", { input_from: "a", input: {} })], /both input and/],
      [[], /at least one node/],
    ];
    for (const [nodes, detail] of cases) {
      const p = problemOf(() => topologicalOrder(nodes));
      expect(p.code).toBe("PIPELINE_INVALID");
      expect(p.detail).toMatch(detail);
    }
  });

  it("reads RFC 6901 pointers strictly: escapes, array indexes, no inherited properties", () => {
    const doc = { "a/b": { "m~n": [10, 20] }, list: [{ x: 1 }] };
    expect(readPointer(doc, "")).toBe(doc);
    expect(readPointer(doc, "/a~1b/m~0n/1")).toBe(20);
    expect(readPointer(doc, "/list/0/x")).toBe(1);
    expect(readPointer(doc, "/list/01")).toBeUndefined();
    expect(readPointer(doc, "/list/-")).toBeUndefined();
    expect(readPointer(doc, "/constructor")).toBeUndefined();
    expect(readPointer(doc, "/list/0/x/deeper")).toBeUndefined();
    expect(parseReference("n#/a")).toEqual({ node_id: "n", pointer: "/a" });
    expect(parseReference("n")).toEqual({ node_id: "n", pointer: "" });
  });

  it("builds an input from a whole reference or from fields over a literal base", () => {
    const outputs = new Map<string, unknown>([["s", { summary: "short", n: 2 }]]);
    expect(resolveInput(node("w", { input_from: "s#/summary" }), outputs)).toBe("short");
    const merged = resolveInput(
      node("f", { input: { top_n: 3, text: "old" }, input_from: { text: "s#/summary" } }),
      outputs,
    );
    expect(merged).toEqual({ top_n: 3, text: "short" });
    const hostile = JSON.parse('{"__proto__": "s#/n"}') as Record<string, string>;
    const proto = resolveInput(node("p", { input_from: hostile }), outputs) as object;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value).toBe(2);
    const p = problemOf(() => resolveInput(node("x", { input_from: "s#/missing" }), outputs));
    expect(p.code).toBe("PIPELINE_INPUT_UNRESOLVED");
  });

  it("finds the sinks: nodes nothing waits for", () => {
    const nodes = [node("a"), node("b", { input_from: "a" }), node("c", { depends_on: ["a"] })];
    expect(sinksOf(nodes).map((n) => n.id)).toEqual(["b", "c"]);
  });
});
