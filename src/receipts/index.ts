export { canonicalIssuer } from "./claims.ts";
export { hasCanonicalScalar, isStrongPublicKey } from "./ed25519.ts";
export { createKeySet, type KeySet, publicKeyOf } from "./keys.ts";
export { receiptMigrations } from "./migrations.ts";
export * from "./model.ts";
export { receiptProblems } from "./problems.ts";
export {
  type ChainCursor,
  createReceipts,
  RECEIPT_HEADER_BYTES_MAX,
  type Receipts,
  receiptHeaders,
  receiptRef,
} from "./receipts.ts";
export { type KeyLookup, verifyLimits, verifyReceipt } from "./verify.ts";
