export { normaliseHtu } from "./claims.ts";
export { createDpop, type Dpop, type DpopDeps } from "./dpop.ts";
export { dpopMigrations } from "./migrations.ts";
export * from "./model.ts";
export { dpopChallenge, dpopProblems } from "./problems.ts";
