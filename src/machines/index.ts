export { createKeyBindings, type KeyBindings } from "./bindings.ts";
export {
  type ControllerResolver,
  didPkhResolver,
  type Erc1056Options,
  erc1056Abi,
  erc1056Resolver,
  registryResolver,
  resolveControllers,
} from "./controllers.ts";
export { base58Decode, base58Encode, didKeyOfEd25519, ed25519KeyOfDid } from "./did-key.ts";
export {
  EIP191_SIGNATURE_PATTERN,
  recoverDigestSigner,
  recoverPersonalSigner,
  sameAddress,
} from "./eip191.ts";
export {
  checksummed,
  didPkhOf,
  IDENTITY_REF_PATTERN,
  normalIdentityRef,
  parseIdentityRef,
} from "./identity-ref.ts";
export { machineLimits } from "./limits.ts";
export { type MachineEvent, machineEvents, machineTransitions, nextStatus } from "./machine.ts";
export {
  createMachines,
  type MachineInput,
  type MachinePatch,
  type Machines,
  type MachinesDeps,
} from "./machines.ts";
export { machineMigrations } from "./migrations.ts";
export * from "./model.ts";
export { machineProblems } from "./problems.ts";
export type { ProofInput } from "./proofs.ts";
export { MACHINE_AGENT_TOKEN_PREFIX, type Runtime } from "./runtime.ts";
export { createSecretBox, type SecretBox } from "./secretbox.ts";
