export { type ChainClients, createChainClients, rpc, rpcError } from "./chain.ts";
export {
  decodeHeaderJson,
  decodePaymentHeader,
  encodePaymentHeader,
  encodeRequiredHeader,
  encodeResponseHeader,
  X402_HEADERS,
} from "./codec.ts";
export { verifyEip3009Signature } from "./eip3009.ts";
export { createLocalFacilitator, type LocalFacilitatorOptions } from "./facilitator.ts";
export { createX402Gate, type GateRequest, type GateResult, type X402Gate } from "./gate.ts";
export { x402Limits } from "./limits.ts";
export { x402Migrations } from "./migrations.ts";
export type * from "./model.ts";
export {
  challengeProblem,
  type PaymentIdSlot,
  settlementHeaders,
  type VerifiedPayment,
} from "./payment.ts";
export { x402Problems } from "./problems.ts";
export {
  createProofVerifier,
  type PaymentProofSpec,
  type ProofVerifier,
  type ProofVerifierOptions,
  type TransferProof,
  type VerifiedPayment as VerifiedTransferPayment,
  type VerifiedTransfer,
} from "./proofs.ts";
export {
  type AuthorizationOutcome,
  type AuthorizationReader,
  authorizationOf,
  createAuthorizationReader,
  endPendingSettlement,
  getPendingSettlement,
  insertPendingSettlement,
  listPendingSettlements,
  notePendingSettlementTx,
  type PendingSettlement,
} from "./reconcile.ts";
export { createRemoteFacilitator, type RemoteFacilitatorOptions } from "./remote.ts";
export {
  type BazaarSpec,
  bazaarExtension,
  buildChallenge,
  caip2Of,
  chainIdOf,
  paymentIdentifierExtension,
  requirementsV1,
  requirementsV2,
  v1NetworkOf,
} from "./requirements.ts";
export { chainOf, createEvmSigner, createSerialQueue, type EvmSignerOptions } from "./signer.ts";
export {
  claimTx,
  createPendingSettlementStore,
  dropPendingPaymentId,
  finishPaymentId,
  type PaymentIdReservation,
  purgePaymentIds,
  releasePaymentId,
  reservePaymentId,
  type TxClaim,
} from "./store.ts";
