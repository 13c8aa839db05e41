export { sessionLimits } from "./limits.ts";
export { ensureSessionTables, sessionMigrations } from "./migrations.ts";
export * from "./model.ts";
export { sessionProblems } from "./problems.ts";
export {
  createSessions,
  csrfTokenMatches,
  csrfTokenOf,
  SESSION_TOKEN_PREFIX,
  type Sessions,
  type SignInAudience,
} from "./sessions.ts";
export { siweMessageOf } from "./siwe.ts";
