export { HASH_ALGORITHMS, type HashAlgorithm, hashDigest } from "./hash-digest.ts";
export { jsonValidate } from "./json-validate.ts";
export { builtinLimits } from "./limits.ts";
export {
  type BuiltinExample,
  BuiltinInputError,
  type BuiltinOperation,
  type BuiltinPricing,
  type BuiltinSkill,
  type PricingUnit,
} from "./model.ts";
export { measureUnits, PRICING_KILOBYTE_BYTES, priceFor } from "./pricing.ts";
export { type BuiltinMatch, builtinSkills, findBuiltin } from "./registry.ts";
export { textSlugify } from "./text-slugify.ts";
export { READING_WORDS_PER_MINUTE, textStats } from "./text-stats.ts";
export { textSummarize } from "./text-summarize.ts";
export { unitsConvert } from "./units-convert.ts";
export { UNIT_SYMBOLS, type UnitCategory } from "./units-table.ts";
