import { Problem } from "../kernel/problem.ts";
import { pipelineLimits } from "./limits.ts";
import type { PipelineNode } from "./model.ts";
import { pipelineProblems } from "./problems.ts";

const invalid = (detail: string, pointer: string) =>
  new Problem(pipelineProblems.PIPELINE_INVALID, detail, { errors: [{ pointer, detail }] });

/** A parsed `input_from` reference: a node and an RFC 6901 pointer into its output. */
export interface Reference {
  node_id: string;
  pointer: string;
}

/** `node` or `node#/a/b` → its parts; null when the pointer is not a JSON pointer. */
export function parseReference(text: string): Reference | null {
  const hash = text.indexOf("#");
  const node_id = hash < 0 ? text : text.slice(0, hash);
  const pointer = hash < 0 ? "" : text.slice(hash + 1);
  if (node_id === "" || (pointer !== "" && !pointer.startsWith("/"))) return null;
  return { node_id, pointer };
}

/** Every reference of a node's input_from, with the field it fills (null: the whole input). */
export function referencesOf(node: PipelineNode): { field: string | null; text: string }[] {
  const from = node.input_from;
  if (from === undefined) return [];
  if (typeof from === "string") return [{ field: null, text: from }];
  return Object.entries(from).map(([field, text]) => ({ field, text }));
}

/** The nodes a node waits for: its depends_on plus the nodes its input comes from. */
export function prerequisites(node: PipelineNode): string[] {
  const from = referencesOf(node).map((r) => parseReference(r.text)?.node_id ?? "");
  return [...new Set([...(node.depends_on ?? []), ...from])];
}

function checkNode(node: PipelineNode, i: number, ids: Set<string>): void {
  const at = `/nodes/${i}`;
  const refs = referencesOf(node);
  if (typeof node.input_from === "string" && node.input !== undefined) {
    throw invalid(`node ${node.id} has both input and a whole-input input_from`, at);
  }
  if (typeof node.input_from === "object" && refs.length > pipelineLimits.input_fields_from_max) {
    throw invalid(`at most ${pipelineLimits.input_fields_from_max} fields by reference`, at);
  }
  if (
    typeof node.input_from === "object" &&
    node.input !== undefined &&
    (node.input === null || typeof node.input !== "object" || Array.isArray(node.input))
  ) {
    throw invalid(`node ${node.id}: input_from fields need an object input`, `${at}/input`);
  }
  for (const r of refs) {
    const ref = parseReference(r.text);
    if (!ref) throw invalid(`node ${node.id}: ${r.text} is not <node>#/json/pointer`, at);
  }
  for (const dep of prerequisites(node)) {
    if (dep === node.id) throw invalid(`node ${node.id} depends on itself`, at);
    if (!ids.has(dep)) throw invalid(`node ${node.id} refers to unknown node ${dep}`, at);
  }
}

/**
 * Checks a pipeline and returns its nodes in a topological order (Kahn, stable: among ready
 * nodes the request's order wins). Refuses an empty or oversize pipeline, duplicate ids, unknown
 * references, malformed references and cycles, naming the offending node.
 */
export function topologicalOrder(nodes: readonly PipelineNode[]): PipelineNode[] {
  if (nodes.length === 0) throw invalid("a pipeline needs at least one node", "/nodes");
  if (nodes.length > pipelineLimits.nodes_max) {
    throw invalid(`at most ${pipelineLimits.nodes_max} nodes`, "/nodes");
  }
  const ids = new Set<string>();
  nodes.forEach((n, i) => {
    if (ids.has(n.id)) throw invalid(`duplicate node id ${n.id}`, `/nodes/${i}/id`);
    ids.add(n.id);
  });
  for (const [i, n] of nodes.entries()) checkNode(n, i, ids);
  const waiting = new Map(nodes.map((n) => [n.id, new Set(prerequisites(n))]));
  const order: PipelineNode[] = [];
  while (order.length < nodes.length) {
    const ready = nodes.find((n) => !order.includes(n) && waiting.get(n.id)?.size === 0);
    if (!ready) {
      const stuck = nodes.filter((n) => !order.includes(n)).map((n) => n.id);
      throw invalid(`the pipeline has a cycle through ${stuck.join(", ")}`, "/nodes");
    }
    order.push(ready);
    for (const deps of waiting.values()) deps.delete(ready.id);
  }
  return order;
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** Reads an RFC 6901 pointer in a value; undefined when it does not resolve. */
export function readPointer(value: unknown, pointer: string): unknown {
  if (pointer === "") return value;
  let current: unknown = value;
  for (const raw of pointer.slice(1).split("/")) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(current)) {
      if (!ARRAY_INDEX.test(token)) return undefined;
      current = current[Number(token)];
    } else if (current !== null && typeof current === "object" && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}

/**
 * A node's input once its prerequisites ran: the literal input, the referenced value, or the
 * literal object with its referenced fields filled. PIPELINE_INPUT_UNRESOLVED names the first
 * reference that does not resolve.
 */
export function resolveInput(node: PipelineNode, outputs: ReadonlyMap<string, unknown>): unknown {
  const refs = referencesOf(node);
  if (refs.length === 0) return node.input ?? {};
  const lookup = (text: string) => {
    const ref = parseReference(text);
    const value = ref ? readPointer(outputs.get(ref.node_id), ref.pointer) : undefined;
    if (value === undefined) {
      throw new Problem(
        pipelineProblems.PIPELINE_INPUT_UNRESOLVED,
        `node ${node.id}: ${text} does not resolve`,
      );
    }
    return value;
  };
  if (typeof node.input_from === "string") return lookup(node.input_from);
  // fromEntries defines own properties, so a field named __proto__ stays a plain field.
  const base = Object.entries((node.input as Record<string, unknown> | undefined) ?? {});
  const filled = refs.flatMap((r) =>
    r.field === null ? [] : [[r.field, lookup(r.text)] as const],
  );
  return Object.fromEntries([...base, ...filled]);
}

/** Nodes no other node waits for: where the pipeline's final result comes from. */
export function sinksOf(nodes: readonly PipelineNode[]): PipelineNode[] {
  const needed = new Set(nodes.flatMap(prerequisites));
  return nodes.filter((n) => !needed.has(n.id));
}
