export {
  type FetchedPeacTxt,
  type FetchPeacTxtOptions,
  fetchPeacTxt,
  peacTxtCandidates,
} from "./discover.ts";
export { parseDuration, parseRateLimit, wellKnownPurposes } from "./fields.ts";
export { policyLimits } from "./limits.ts";
export * from "./model.ts";
export { parsePeacTxt, parsePeacTxtBytes } from "./peactxt.ts";
export { currencyDecimals, formatSeedPrice, parseSeedPrice, priceFromMinor } from "./price.ts";
export {
  type PolicyProblemCode,
  policyFailure,
  policyProblem,
  policyProblems,
  problemOfFailure,
  type UpstreamPolicyError,
  upstreamPolicyErrors,
} from "./problems.ts";
export { SEED_VERSION, seedFields } from "./seed.ts";
export { formatRateLimit, peacTxtTemplate, serializeSeedPeacTxt } from "./serialize.ts";
export { policyV01Fields } from "./upstream.ts";
