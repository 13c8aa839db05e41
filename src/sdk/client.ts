import type { JSONWebKeySet } from "jose";
import { AgxProblem } from "./problem.ts";
import {
  parseReceiptPointer,
  type ReceiptCheck,
  type ReceiptCheckOptions,
  verifyReceiptJws,
} from "./receipts.ts";
import {
  type AgxClientOptions,
  type AgxResponse,
  type CallOptions,
  type HttpMethod,
  type RequestOptions,
  send,
} from "./transport.ts";
import type {
  Channel,
  ChannelSettlement,
  DiscoverRequest,
  DiscoverResponse,
  InvokeResult,
  Jwks,
  OrderDetail,
  PipelineJob,
  PipelineRequest,
  QueryOf,
  RequestBody,
  ResponseBody,
} from "./types.ts";

const seg = encodeURIComponent;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Buffer.from(digest).toString("hex");
}

/**
 * A typed client of one agx hub for one caller (API key or pairing token). Every state-changing
 * call carries an Idempotency-Key (made unless given); errors throw `AgxProblem` (402s carry
 * `payment`), unreachable hubs `AgxNetworkError`.
 */
export class AgxClient {
  readonly url: string;
  private jwks: JSONWebKeySet | null = null;

  constructor(readonly options: AgxClientOptions) {
    this.url = options.url.replace(/\/+$/, "");
  }

  /** The same hub as another caller. */
  as(credentials: { apiKey: string } | { pairingToken: string }): AgxClient {
    const { apiKey: _k, pairingToken: _t, ...rest } = this.options;
    return new AgxClient({ ...rest, ...credentials });
  }

  /** Any endpoint, for what the typed methods do not cover. */
  request<T>(method: HttpMethod, path: string, options?: RequestOptions): Promise<AgxResponse<T>> {
    return send<T>(this.options, method, path, options);
  }

  private async json<T>(method: HttpMethod, path: string, options?: RequestOptions): Promise<T> {
    return (await this.request<T>(method, path, options)).body;
  }

  // identity and money

  /** Registers an agent (no key needed) and returns its first API key, shown once. */
  registerAgent(body: RequestBody<"registerAgent">, call?: CallOptions) {
    return this.json<ResponseBody<"registerAgent">>("POST", "/api/agents/register", {
      ...call,
      body,
    });
  }

  /** Who the caller is. */
  me() {
    return this.json<ResponseBody<"getMe">>("GET", "/api/v1/me");
  }

  /** The caller's ledger accounts per asset and kind (amounts as decimal strings). */
  balances() {
    return this.json<ResponseBody<"listBalances">>("GET", "/api/v1/balances");
  }

  // catalogue

  /** Ranked services with signed quotes priced for `input`. */
  search(body: RequestBody<"marketSearch">, call?: CallOptions) {
    return this.json<ResponseBody<"marketSearch">>("POST", "/api/v1/market/search", {
      ...call,
      body,
    });
  }

  /** A goal in words → matches and a plan of calls with draft inputs (AIMP discover). */
  discover(body: DiscoverRequest, call?: CallOptions) {
    return this.json<DiscoverResponse>("POST", "/ai-market/discover", { ...call, body });
  }

  /** A signed, expiring price for one call of a service. */
  quote(body: RequestBody<"createQuote">, call?: CallOptions) {
    return this.json<ResponseBody<"createQuote">>("POST", "/api/v1/quotes", { ...call, body });
  }

  // invoke and channels

  /**
   * Invokes a capability, paid from the balance (prepaid) or from `channelId`. Unpaid calls
   * throw an `AgxProblem` with status 402 and `payment` set.
   */
  async invoke<Result = unknown>(
    product: string,
    capability: string,
    input: unknown,
    call: CallOptions & { channelId?: string } = {},
  ): Promise<InvokeResult<Result>> {
    const { channelId, ...rest } = call;
    const headers = { ...rest.headers, ...(channelId ? { "x-payment-channel": channelId } : {}) };
    const res = await this.request<Omit<InvokeResult<Result>, "peac_receipt">>(
      "POST",
      `/capabilities/${seg(product)}/${seg(capability)}/invoke`,
      { ...rest, headers, body: { input } },
    );
    return { ...res.body, peac_receipt: await this.receiptFromHeaders(res.headers) };
  }

  /** The PEAC receipt of an answer: the header itself, or fetched (and hash-checked) by pointer. */
  async receiptFromHeaders(headers: Headers): Promise<string | null> {
    const inline = headers.get("peac-receipt");
    if (inline) return inline;
    const pointer = parseReceiptPointer(headers.get("peac-receipt-pointer") ?? "");
    if (!pointer) return null;
    const path = new URL(pointer.url).pathname;
    const { jws } = await this.json<ResponseBody<"getReceipt">>("GET", path);
    if ((await sha256Hex(jws)) !== pointer.sha256) {
      throw new Error(`the receipt at ${pointer.url} does not match its pointer's digest`);
    }
    return jws;
  }

  /** Opens a payment channel with a deposit moved from the balance. */
  openChannel(body: { deposit: string; asset?: string }, call?: CallOptions) {
    return this.json<{ channel: Channel }>("POST", "/ai-market/channel/open", { ...call, body });
  }

  /** Closes a channel: the unused deposit returns to the balance. */
  closeChannel(channel_id: string, call?: CallOptions) {
    return this.json<{ settlement: ChannelSettlement }>("POST", "/ai-market/channel/close", {
      ...call,
      body: { channel_id },
    });
  }

  channels() {
    return this.json<{ items: Channel[] }>("GET", "/ai-market/channels");
  }

  // orders

  createOrder(body: RequestBody<"createOrder">, call?: CallOptions) {
    return this.json<ResponseBody<"createOrder">>("POST", "/api/v1/market/orders", {
      ...call,
      body,
    });
  }

  createPaymentIntent(order_id: string, call?: CallOptions) {
    return this.json<ResponseBody<"createPaymentIntent">>(
      "POST",
      `/api/v1/market/orders/${seg(order_id)}/payment-intent`,
      call,
    );
  }

  pay(order_id: string, body: RequestBody<"payOrder"> = {}, call?: CallOptions) {
    return this.json<ResponseBody<"payOrder">>(
      "POST",
      `/api/v1/market/orders/${seg(order_id)}/payment`,
      { ...call, body },
    );
  }

  /** One order with its payment, trail, runs, outcome and receipt chain. */
  getOrder(order_id: string) {
    return this.json<OrderDetail>("GET", `/api/v1/market/orders/${seg(order_id)}`);
  }

  orders(query: QueryOf<"listOrders"> = {}) {
    return this.json<ResponseBody<"listOrders">>("GET", "/api/v1/market/orders", { query });
  }

  /** Every order, page after page. */
  async *allOrders(query: Omit<QueryOf<"listOrders">, "cursor"> = {}) {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.orders({ ...query, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      if (!page.next_cursor) return;
      cursor = page.next_cursor;
    }
  }

  // receipts

  getReceipt(id: string) {
    return this.json<ResponseBody<"getReceipt">>("GET", `/peac/receipts/${seg(id)}`);
  }

  /** Asks the hub to verify a receipt (online; see `verifyReceipt` for offline). */
  verifyReceiptOnline(receipt: string) {
    return this.json<ResponseBody<"verifyReceipt">>("POST", "/v1/verify", {
      body: { receipt },
    });
  }

  /** The hub's receipt keys; cached after the first fetch unless `refresh`. */
  async getJwks(refresh = false): Promise<Jwks> {
    if (!this.jwks || refresh) {
      this.jwks = await this.json<JSONWebKeySet>("GET", "/.well-known/jwks.json", {
        headers: { accept: "application/jwk-set+json, application/json" },
      });
    }
    return this.jwks as Jwks;
  }

  /** Verifies a receipt offline against the hub's JWKS (refetched once for an unknown key). */
  async verifyReceipt(jws: string, options?: ReceiptCheckOptions): Promise<ReceiptCheck> {
    const first = await verifyReceiptJws(jws, (await this.getJwks()) as JSONWebKeySet, options);
    if (first.valid || first.code !== "RECEIPT_KID_UNKNOWN") return first;
    return verifyReceiptJws(jws, (await this.getJwks(true)) as JSONWebKeySet, options);
  }

  // pipelines

  /** Submits a pipeline; `async` asks for 202 and a job to follow. */
  async runPipeline(body: PipelineRequest, call: CallOptions & { async?: boolean } = {}) {
    const { async, ...rest } = call;
    const headers = { ...rest.headers, ...(async ? { prefer: "respond-async" } : {}) };
    const res = await this.request<PipelineJob>("POST", "/ai-market/pipelines", {
      ...rest,
      headers,
      body,
    });
    return { status: res.status, body: res.body };
  }

  job(job_id: string) {
    return this.json<PipelineJob>("GET", `/ai-market/jobs/${seg(job_id)}`);
  }

  // market (Pact-compatible listings, negotiations and order events)

  publicServices(query: QueryOf<"marketListServices"> = {}) {
    return this.json<ResponseBody<"marketListServices">>("GET", "/api/public/services", {
      query,
    });
  }

  publicBounties(query: QueryOf<"marketListBounties"> = {}) {
    return this.json<ResponseBody<"marketListBounties">>("GET", "/api/public/bounties", {
      query,
    });
  }

  createListing(body: RequestBody<"marketCreateListing">, call?: CallOptions) {
    return this.json<ResponseBody<"marketCreateListing">>("POST", "/api/market/listings", {
      ...call,
      body,
    });
  }

  myListings(query: QueryOf<"marketMyListings"> = {}) {
    return this.json<ResponseBody<"marketMyListings">>("GET", "/api/market/listings", { query });
  }

  negotiate(body: RequestBody<"marketNegotiate">, call?: CallOptions) {
    return this.json<ResponseBody<"marketNegotiate">>("POST", "/api/market/negotiations", {
      ...call,
      body,
    });
  }

  marketOrders(query: QueryOf<"marketListOrders"> = {}) {
    return this.json<ResponseBody<"marketListOrders">>("GET", "/api/market/orders", { query });
  }

  marketOrder(id: string) {
    return this.json<ResponseBody<"marketGetOrder">>("GET", `/api/market/orders/${seg(id)}`);
  }

  /** Fires one event of a market order's state machine (agree, fund, accept …). */
  marketOrderEvent(id: string, body: RequestBody<"marketOrderEvent">, call?: CallOptions) {
    return this.json<ResponseBody<"marketOrderEvent">>("PATCH", `/api/market/orders/${seg(id)}`, {
      ...call,
      body,
    });
  }

  // webhooks

  /** Subscribes an endpoint to event types; the signing secret is shown once. */
  subscribeWebhook(body: RequestBody<"createWebhook">, call?: CallOptions) {
    return this.json<ResponseBody<"createWebhook">>("POST", "/api/v1/webhooks", {
      ...call,
      body,
    });
  }

  webhooks() {
    return this.json<ResponseBody<"listWebhooks">>("GET", "/api/v1/webhooks");
  }
}

/** True when `error` is a problem the hub answered with this code. */
export function isProblemCode(error: unknown, code: string): error is AgxProblem {
  return error instanceof AgxProblem && error.code === code;
}
