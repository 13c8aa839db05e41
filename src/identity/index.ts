export {
  API_KEY_PREFIX,
  createIdentity,
  type Identity,
  looksLikeApiKey,
  OPERATOR_HANDLE,
} from "./identity.ts";
export { identityMigrations } from "./migrations.ts";
export * from "./model.ts";
export { identityProblems } from "./problems.ts";
