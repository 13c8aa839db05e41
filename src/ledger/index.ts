export { createLedger, type Ledger, transferProblem } from "./ledger.ts";
export { ledgerMigrations } from "./migrations.ts";
export * from "./model.ts";
export { ledgerProblems } from "./problems.ts";
