import { hashDigest } from "./hash-digest.ts";
import { jsonValidate } from "./json-validate.ts";
import type { BuiltinOperation, BuiltinSkill } from "./model.ts";
import { textSlugify } from "./text-slugify.ts";
import { textStats } from "./text-stats.ts";
import { textSummarize } from "./text-summarize.ts";
import { unitsConvert } from "./units-convert.ts";

/** The demo catalogue every hub ships, in the order a listing shows it. */
export const builtinSkills: readonly BuiltinSkill[] = [
  textStats,
  textSummarize,
  textSlugify,
  jsonValidate,
  hashDigest,
  unitsConvert,
];

/** A skill and one of its operations, as found by key and name. */
export interface BuiltinMatch {
  readonly skill: BuiltinSkill;
  readonly operation: BuiltinOperation;
}

/** The built-in skill `key` with its operation `operation`, or null when either is unknown. */
export function findBuiltin(key: string, operation: string): BuiltinMatch | null {
  const skill = builtinSkills.find((s) => s.key === key);
  const op = skill?.operations.find((o) => o.name === operation);
  return skill === undefined || op === undefined ? null : { skill, operation: op };
}
