export {
  type Catalog,
  createCatalog,
  type Quote,
  type QuoteSigner,
  type ServiceInput,
  type SkillInput,
} from "./catalog.ts";
export {
  bestOperation,
  type DiscoverRanker,
  type DiscoverResult,
  discover,
  draftInput,
  lexicalRanker,
  type PlanStep,
  subGoals,
} from "./discover.ts";
export { catalogMigrations } from "./migrations.ts";
export * from "./model.ts";
export { checkPricing, priceOf, unitsOf } from "./pricing.ts";
export { catalogProblems } from "./problems.ts";
export { type Ranked, rankServices, tokensOf } from "./rank.ts";
export { checkInput, compileSchema } from "./schemas.ts";
