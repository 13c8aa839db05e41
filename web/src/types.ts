/**
 * Wire types the console reads. The hub's OpenAPI types (src/sdk/openapi.gen.ts) are used where
 * they exist; the session routes are newer than that file, so theirs are written here by hand.
 */
import type { ResponseBody } from "../../src/sdk/types.ts";

export interface Principal {
  id: string;
  kind: string;
  handle: string;
  display_name: string;
  status: string;
  created_at: string;
}

export interface SessionInfo {
  session: {
    id: string;
    method: "siwe" | "api_key";
    address: string | null;
    scope: "read" | "write" | "admin";
    createdAt: string;
    expiresAt: string;
  };
  principal: Principal;
  csrfToken: string;
}

export interface SiweNonce {
  nonce: string;
  domain: string;
  uri: string;
  chainId: number;
  message: string | null;
  expirationTime: string;
}

export type Listing = ResponseBody<"marketGetListing">;
export type ListingPage = ResponseBody<"marketListBounties">;
export type OrderDetail = ResponseBody<"marketGetOrder">;
export type MarketOrder = ResponseBody<"marketListOrders">["items"][number];
export type Message = ResponseBody<"marketListMessages">["items"][number];
export type Balance = ResponseBody<"listBalances">["items"][number];
export type Transfer = ResponseBody<"listTransfers">["items"][number];
export type OwnerMachine = ResponseBody<"ownerMachines">["items"][number];
export type Pairing = OwnerMachine["pairings"][number];
export type Skill = ResponseBody<"listSkills">["items"][number];
export type Service = ResponseBody<"listServices">["items"][number];
export type FloorStats = ResponseBody<"getAiMarketStats">;
export type LedgerCheck = ResponseBody<"adminVerifyLedger">;
export type WebhookEndpoint = ResponseBody<"listWebhooks">["items"][number];
export type WebhookDelivery = ResponseBody<"listWebhookDeliveries">["items"][number];

/*
 * Written by hand until the SDK's OpenAPI types are generated again: the operator's delivery list
 * (adminListWebhookDeliveries) and a service's own figures (getServiceStats).
 */
export type AdminWebhookDelivery = WebhookDelivery & { owner_id: string };

export interface WireMoney {
  amount: string;
  amount_minor: string;
  asset: string;
}

export interface ServiceStats {
  service: { id: string; name: string; provider_id: string };
  since: string | null;
  generated_at: string;
  runs: { total: number; succeeded: number; failed: number; running: number };
  success_rate: number | null;
  latency_ms: { samples: number; p50: number | null; p95: number | null };
  revenue: {
    asset: string;
    settled_orders: number;
    gross: WireMoney;
    fee: WireMoney;
    net: WireMoney;
  }[];
}
