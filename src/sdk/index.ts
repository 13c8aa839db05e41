export { BOM_TYP, type BomCheck, verifyBillOfMaterials } from "./bom.ts";
export { AgxClient, isProblemCode, type RotatedKey } from "./client.ts";
export { decimalToMinor, knownAssetDecimals, minorToDecimal } from "./money.ts";
export type { Operations } from "./openapi.gen.ts";
export { type CursorPage, PAGES_MAX, paginate } from "./pagination.ts";
export {
  PLAN_WAIT_MS_MAX,
  type PlanOptions,
  type PlanReport,
  type PlanStop,
  runPlan,
} from "./planner.ts";
export {
  AgxNetworkError,
  AgxProblem,
  type PaymentRequirements,
  type ProblemBody,
  type ProblemFieldError,
} from "./problem.ts";
export {
  parseReceiptPointer,
  type ReceiptCheck,
  type ReceiptCheckOptions,
  receiptCheckLimits,
  verifyReceiptJws,
} from "./receipts.ts";
export {
  type Purchase,
  type ReceiptOutcome,
  SHOP_CALLS_MAX,
  type ShopOptions,
  type ShopReport,
  type ShopStop,
  shop,
} from "./shopper.ts";
export type {
  AgxClientOptions,
  AgxResponse,
  CallOptions,
  HttpMethod,
  RequestOptions,
} from "./transport.ts";
export type * from "./types.ts";
