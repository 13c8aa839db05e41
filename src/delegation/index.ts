export {
  createDelegation,
  type Delegation,
  type DelegationDeps,
  type PairingPatch,
} from "./delegation.ts";
export { delegationLimits } from "./limits.ts";
export {
  nextPairingStatus,
  type PairingEvent,
  pairingEventFor,
  pairingEvents,
  pairingTransitions,
} from "./machine.ts";
export { delegationMigrations } from "./migrations.ts";
export * from "./model.ts";
export {
  assertAllowed,
  evaluatePolicy,
  normalisePolicy,
  openPolicy,
  policyFromJson,
  policyHash,
  policyToJson,
  type SpentSoFar,
} from "./policy.ts";
export { delegationProblems } from "./problems.ts";
export { type AgentProofInput, type AgentSpec, agentDidOf } from "./proofs.ts";
export { spendWindowsOf } from "./spend.ts";
/** A pairing by id, whatever its machine (flows checking who may pay for an order). */
export { getPairing as pairingById } from "./store.ts";
export { PAIRING_TOKEN_AUDIENCE, type PairingSecrets } from "./tokens.ts";
