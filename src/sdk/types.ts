import type { Operations } from "./openapi.gen.ts";

/** Operation ids of the hub's API. */
export type OperationId = keyof Operations;
/** The JSON body an operation takes. */
export type RequestBody<Op extends OperationId> = Operations[Op]["body"];
/** The JSON an operation answers on success (from the OpenAPI document). */
export type ResponseBody<Op extends OperationId> = Operations[Op]["response"];
/** The query parameters of an operation. */
export type QueryOf<Op extends OperationId> = Operations[Op]["query"];

// The hub documents no success schema for the answers below (AIMP wire), so they are written by
// hand from src/http/routes/aimp/*.ts and src/http/routes/orders/read.ts.

/** `POST /ai-market/discover`: a goal in words, matches and a plan within budget. */
export interface DiscoverRequest {
  query: string;
  budget_usd?: number | string;
  constraints?: { max_latency_ms?: number };
  limit?: number;
}

export interface DiscoverMatch {
  product_id: string;
  capability_id: string;
  draft_input: unknown;
  score: number;
  price_per_call_usd: number | null;
  why: string[] | string;
  goal: string;
}

export interface DiscoverResponse {
  query: string;
  matches: DiscoverMatch[];
  plan: {
    step: number;
    goal: string;
    product_id: string;
    capability_id: string;
    draft_input: unknown;
    price_usd: number | null;
  }[];
  estimated_total_usd: number | null;
  skipped: unknown[];
}

/** The answer of a paid invoke, plus the PEAC receipt the hub sent in a header. */
export interface InvokeResult<Result = unknown> {
  success: boolean;
  result: Result;
  error?: string;
  order_id: string;
  /** The signed AI Market Protocol receipt. */
  receipt: Record<string, unknown>;
  /** AIMP's display price; use `getOrder(order_id).price` for the exact amount. */
  price_usd: number;
  latency_ms: number;
  continuation: {
    suggested_next: {
      product_id: string;
      capability_id: string;
      why: string;
      est_price_usd: number;
    }[];
  };
  /** The compact JWS of `PEAC-Receipt` (fetched when the hub sent a pointer), if any. */
  peac_receipt: string | null;
}

export interface Channel {
  channel_id: string;
  status: string;
  asset: string;
  deposit: string;
  deposit_usd: number;
  balance?: string;
  balance_usd?: number;
  expires_at: string;
  created_at: string;
}

export interface ChannelSettlement {
  channel_id: string;
  used: string;
  refund: string;
  used_usd: number;
  refund_usd: number;
}

type OrderListItem = ResponseBody<"listOrders">["items"][number];

/** `GET /api/v1/market/orders/{id}`: the order with its trail, runs, outcome and receipts. */
export interface OrderDetail extends OrderListItem {
  events: Record<string, unknown>[];
  runs: ResponseBody<"listRuns">["items"];
  outcome: { id: string; run_id: string; result_sha256: string; result: unknown } | null;
  /** The order's receipt chain (quote → payment → result → settlement …), compact JWS each. */
  receipts: { id: string; kind: string; jws: string; prev_id: string | null }[];
}

/** The issuer keys receipts are signed with (`/.well-known/jwks.json`). */
export interface Jwks {
  keys: { kty: string; crv?: string; x?: string; kid?: string; alg?: string; use?: string }[];
}

/** `POST /ai-market/pipelines` body: a DAG of capability calls. */
export interface PipelineRequest {
  channel_id?: string;
  budget?: string;
  on_failure?: "stop" | "continue";
  nodes: {
    id: string;
    product_id: string;
    capability_id: string;
    input?: unknown;
    input_from?: string | Record<string, string>;
    depends_on?: string[];
  }[];
}

/** A pipeline job as `GET /ai-market/jobs/{id}` shows it (fields beyond these pass through). */
export interface PipelineJob {
  job_id: string;
  trace_id?: string;
  status: string;
  progress?: unknown;
  links?: Record<string, string>;
  [field: string]: unknown;
}
