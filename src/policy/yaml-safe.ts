import { isAlias, isMap, isNode, isScalar, isSeq, parseAllDocuments, type YAMLError } from "yaml";
import { escapePointer } from "./json-strict.ts";
import { policyLimits } from "./limits.ts";
import type { PeacTxtFailure } from "./model.ts";
import { policyFailure } from "./problems.ts";

/** Explicit tags that stay inside the YAML 1.2 core schema; any other tag is refused. */
const CORE_TAGS: ReadonlySet<string> = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** The first place each forbidden construct appears, as JSON pointers. */
interface Findings {
  merge?: string;
  anchorOrAlias?: string;
  tag?: string;
  tooDeep?: string;
  nonStringKey?: string;
}

function inspectNodeMarks(node: unknown, pointer: string, found: Findings): void {
  if (isAlias(node)) {
    found.anchorOrAlias ??= pointer;
    return;
  }
  if (!isNode(node)) return;
  if (node.anchor !== undefined && node.anchor !== "") found.anchorOrAlias ??= pointer;
  if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) found.tag ??= pointer;
}

/** Walks the composed document, bounded by the depth limit, so it never recurses far. */
function inspect(node: unknown, pointer: string, depth: number, found: Findings): void {
  inspectNodeMarks(node, pointer, found);
  if (!isMap(node) && !isSeq(node)) return;
  if (depth > policyLimits.depth_max) {
    found.tooDeep ??= pointer;
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      inspect(item, `${pointer}/${i}`, depth + 1, found);
    });
    return;
  }
  for (const pair of node.items) {
    const key = pair.key;
    inspectNodeMarks(key, pointer, found);
    const name = isScalar(key) ? key.value : undefined;
    // `<<` is a merge key in YAML 1.1 tools; refuse it whatever this parser makes of it.
    if (name === "<<") found.merge ??= `${pointer}/<<`;
    else if (typeof name !== "string") found.nonStringKey ??= pointer;
    const child = `${pointer}/${escapePointer(String(name))}`;
    inspect(pair.value, child, depth + 1, found);
  }
}

function verdict(found: Findings): PeacTxtFailure | null {
  if (found.merge !== undefined) {
    return policyFailure("POLICY_YAML_UNSAFE", "YAML merge keys are not allowed", found.merge);
  }
  if (found.anchorOrAlias !== undefined) {
    const message = "YAML anchors and aliases are not allowed";
    return policyFailure("POLICY_YAML_UNSAFE", message, found.anchorOrAlias);
  }
  if (found.tag !== undefined) {
    return policyFailure("POLICY_YAML_UNSAFE", "YAML custom tags are not allowed", found.tag);
  }
  if (found.tooDeep !== undefined) {
    const message = `Nesting is deeper than ${policyLimits.depth_max} levels`;
    return policyFailure("POLICY_TOO_LARGE", message, found.tooDeep);
  }
  if (found.nonStringKey !== undefined) {
    return policyFailure("POLICY_INVALID", "Mapping keys must be strings", found.nonStringKey);
  }
  return null;
}

// With prettyErrors the first line of a message already ends "at line L, column C:".
function describeYamlError(error: YAMLError): string {
  const [first = ""] = error.message.split("\n");
  return `Not valid YAML: ${first.replace(/:$/, "")}`;
}

/**
 * Reads YAML restricted to one document of the core schema with no anchors, aliases, merge
 * keys or custom tags (PEAC-TXT.md §5.2). Those are found on the composed document before any
 * value is built, so an alias bomb is never expanded.
 */
export function readSafeYaml(text: string): { ok: true; value: unknown } | PeacTxtFailure {
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, {
      version: "1.2",
      schema: "core",
      merge: false,
      uniqueKeys: true,
      strict: true,
      prettyErrors: true,
    });
  } catch (error) {
    return policyFailure("POLICY_INVALID", `Not valid YAML: ${String(error)}`);
  }
  const [doc] = docs;
  if (doc === undefined) return policyFailure("POLICY_INVALID", "The policy document is empty");
  if (docs.length > 1) {
    return policyFailure("POLICY_MULTI_DOCUMENT", "Multi-document YAML is not allowed");
  }
  const found: Findings = {};
  inspect(doc.contents, "", 1, found);
  const unsafe = verdict(found);
  if (unsafe !== null) return unsafe;
  const error = doc.errors[0] ?? doc.warnings[0];
  if (error !== undefined) return policyFailure("POLICY_INVALID", describeYamlError(error));
  return { ok: true, value: doc.toJS({ maxAliasCount: 0 }) };
}
