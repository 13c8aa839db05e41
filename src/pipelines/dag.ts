import { defineProblems, Problem } from "../kernel/problem.ts";

export const pipelineProblems = defineProblems({
  PIPELINE_INVALID: { status: 400, title: "The pipeline is not a valid DAG" },
  PIPELINE_OVER_BUDGET: { status: 402, title: "The pipeline's quoted price exceeds the budget" },
  PIPELINE_INPUT_UNRESOLVED: { status: 422, title: "A node's input_from does not resolve" },
});

/** Bounds of one pipeline. */
export const pipelineLimits = { nodes_max: 32, concurrency_max: 4, pointer_chars_max: 200 };

export interface PipelineNode {
  id: string;
  product_id: string;
  capability_id: string;
  input?: unknown;
  /** `<node id>` or `<node id>#/json/pointer` into that node's output. */
  input_from?: string;
  depends_on?: string[];
}

const invalid = (detail: string, pointer: string) =>
  new Problem(pipelineProblems.PIPELINE_INVALID, detail, { errors: [{ pointer, detail }] });

/** The nodes a node waits for: its depends_on plus the node its input comes from. */
export function prerequisites(node: PipelineNode): string[] {
  const from = node.input_from ? [node.input_from.split("#")[0] ?? ""] : [];
  return [...new Set([...(node.depends_on ?? []), ...from])];
}

/**
 * Checks a pipeline and returns its nodes in a topological order (Kahn). Refuses duplicate ids,
 * unknown references, a node with both input and input_from, too many nodes and cycles, naming
 * the offending node.
 */
export function topologicalOrder(nodes: PipelineNode[]): PipelineNode[] {
  if (nodes.length === 0) throw invalid("a pipeline needs at least one node", "/nodes");
  if (nodes.length > pipelineLimits.nodes_max) {
    throw invalid(`at most ${pipelineLimits.nodes_max} nodes`, "/nodes");
  }
  const byId = new Map<string, PipelineNode>();
  nodes.forEach((n, i) => {
    if (byId.has(n.id)) throw invalid(`duplicate node id ${n.id}`, `/nodes/${i}/id`);
    if (n.input !== undefined && n.input_from !== undefined) {
      throw invalid(`node ${n.id} has both input and input_from`, `/nodes/${i}`);
    }
    byId.set(n.id, n);
  });
  const indegree = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const dep of prerequisites(n)) {
      if (!byId.has(dep))
        throw invalid(`node ${n.id} refers to unknown node ${dep}`, `/nodes/${i}`);
      if (dep === n.id) throw invalid(`node ${n.id} depends on itself`, `/nodes/${i}`);
    }
    indegree.set(n.id, prerequisites(n).length);
  });
  const order: PipelineNode[] = [];
  const ready = nodes.filter((n) => indegree.get(n.id) === 0);
  while (ready.length > 0) {
    const node = ready.shift() as PipelineNode;
    order.push(node);
    for (const other of nodes) {
      if (!prerequisites(other).includes(node.id)) continue;
      const left = (indegree.get(other.id) ?? 0) - 1;
      indegree.set(other.id, left);
      if (left === 0) ready.push(other);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((n) => !order.includes(n)).map((n) => n.id);
    throw invalid(`the pipeline has a cycle through ${stuck.join(", ")}`, "/nodes");
  }
  return order;
}

/** Reads an RFC 6901 pointer in a value; undefined when it does not resolve. */
export function readPointer(value: unknown, pointer: string): unknown {
  if (pointer === "" || pointer === "/") return value;
  let current: unknown = value;
  for (const raw of pointer.replace(/^\//, "").split("/")) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}
