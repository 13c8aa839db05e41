import type { JSONWebKeySet } from "jose";
import { paginate } from "./pagination.ts";
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

  /** The caller's API keys (never their secrets). */
  keys() {
    return this.json<ResponseBody<"listKeys">>("GET", "/api/v1/keys");
  }

  /** Creates an API key; its secret is in the answer, shown this once. */
  createKey(body: RequestBody<"createKey">, call?: CallOptions) {
    return this.json<ResponseBody<"createKey">>("POST", "/api/v1/keys", { ...call, body });
  }

  /** Revokes an API key at once. */
  revokeKey(id: string, call?: CallOptions) {
    return this.json<ResponseBody<"revokeKey">>("DELETE", `/api/v1/keys/${seg(id)}`, call);
  }

  /**
   * Replaces a key: creates one of the same scope and label first (so there is never a moment
   * without a working key), then revokes the old one. Not atomic: when the revoke fails the new
   * key exists and the error says so (`revoke_error`); retry `revokeKey(old)`.
   */
  async rotateKey(id: string): Promise<RotatedKey> {
    const old = (await this.keys()).items.find((k) => k.id === id);
    if (!old) throw new AgxProblem(missingKeyBody(id));
    const made = await this.createKey({
      scope: old.scope,
      label: old.label,
      ...(old.dpop_jkt ? { dpop_jkt: old.dpop_jkt } : {}),
    });
    try {
      const { key: revoked } = await this.revokeKey(id);
      return { ...made, revoked, revoke_error: null };
    } catch (error) {
      return { ...made, revoked: null, revoke_error: error };
    }
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

  /** Publishes a skill (a capability contract), or a new version of one of your own. */
  publishSkill(body: RequestBody<"publishSkill">, call?: CallOptions) {
    return this.json<ResponseBody<"publishSkill">>("POST", "/api/v1/catalog/skills", {
      ...call,
      body,
    });
  }

  /** Publishes a service, or a new version of one of your own (same name). */
  publishService(body: RequestBody<"publishService">, call?: CallOptions) {
    return this.json<ResponseBody<"publishService">>("POST", "/api/v1/catalog/services", {
      ...call,
      body,
    });
  }

  services(query: QueryOf<"listServices"> = {}) {
    return this.json<ResponseBody<"listServices">>("GET", "/api/v1/catalog/services", { query });
  }

  /** Every service matching the filters, page after page. */
  allServices(query: Omit<QueryOf<"listServices">, "cursor"> = {}) {
    return paginate((cursor) => this.services({ ...query, ...(cursor ? { cursor } : {}) }));
  }

  getService(id: string) {
    return this.json<ResponseBody<"getService">>("GET", `/api/v1/catalog/services/${seg(id)}`);
  }

  skills(query: QueryOf<"listSkills"> = {}) {
    return this.json<ResponseBody<"listSkills">>("GET", "/api/v1/catalog/skills", { query });
  }

  /** Every skill, page after page. */
  allSkills(query: Omit<QueryOf<"listSkills">, "cursor"> = {}) {
    return paginate((cursor) => this.skills({ ...query, ...(cursor ? { cursor } : {}) }));
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
  allOrders(query: Omit<QueryOf<"listOrders">, "cursor"> = {}) {
    return paginate((cursor) => this.orders({ ...query, ...(cursor ? { cursor } : {}) }));
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

  /** A job; a key-less x402 payer passes its `job_token` (from the 202) instead of a key. */
  job(job_id: string, call: CallOptions & { job_token?: string } = {}) {
    const { job_token, ...rest } = call;
    const headers = { ...rest.headers, ...(job_token ? { "x-agx-job-token": job_token } : {}) };
    return this.json<PipelineJob>("GET", `/ai-market/jobs/${seg(job_id)}`, { ...rest, headers });
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

  /** Deliveries to one endpoint, newest first, with their attempts. */
  webhookDeliveries(endpoint_id: string, query: QueryOf<"listWebhookDeliveries"> = {}) {
    return this.json<ResponseBody<"listWebhookDeliveries">>(
      "GET",
      `/api/v1/webhooks/${seg(endpoint_id)}/deliveries`,
      { query },
    );
  }

  /** Every delivery to one endpoint, page after page. */
  allWebhookDeliveries(
    endpoint_id: string,
    query: Omit<QueryOf<"listWebhookDeliveries">, "cursor"> = {},
  ) {
    return paginate((cursor) =>
      this.webhookDeliveries(endpoint_id, { ...query, ...(cursor ? { cursor } : {}) }),
    );
  }

  /** Sends one delivery again (same webhook-id, a fresh round of attempts). */
  redeliverWebhook(endpoint_id: string, delivery_id: string, call?: CallOptions) {
    return this.json<ResponseBody<"redeliverWebhook">>(
      "POST",
      `/api/v1/webhooks/${seg(endpoint_id)}/deliveries/${seg(delivery_id)}/redeliver`,
      call,
    );
  }

  /** Sends every dead delivery of an endpoint again. */
  redeliverFailedWebhooks(endpoint_id: string, call?: CallOptions) {
    return this.json<ResponseBody<"redeliverFailedWebhooks">>(
      "POST",
      `/api/v1/webhooks/${seg(endpoint_id)}/redeliver`,
      call,
    );
  }

  // operator

  /** On-chain escrow releases and refunds by order (admin key); `state: "failed"` waits for you. */
  escrowActions(query: QueryOf<"adminListEscrowActions"> = {}) {
    return this.json<ResponseBody<"adminListEscrowActions">>(
      "GET",
      "/api/v1/admin/escrow-actions",
      { query },
    );
  }

  /** Every escrow action, page after page (admin key). */
  allEscrowActions(query: Omit<QueryOf<"adminListEscrowActions">, "cursor"> = {}) {
    return paginate((cursor) => this.escrowActions({ ...query, ...(cursor ? { cursor } : {}) }));
  }

  /** Sends a failed escrow release or refund again (admin key): it is pending once more. */
  retryEscrowAction(order_id: string, call?: CallOptions) {
    return this.json<ResponseBody<"adminRetryEscrowAction">>(
      "POST",
      `/api/v1/admin/escrow-actions/${seg(order_id)}/retry`,
      call,
    );
  }

  /**
   * x402 settlements and their reconciliation (admin key): every x402 payment's record; one
   * `pending` long past its `valid_before` waits for you.
   */
  x402Settlements(query: QueryOf<"adminListX402Settlements"> = {}) {
    return this.json<ResponseBody<"adminListX402Settlements">>(
      "GET",
      "/api/v1/admin/x402-settlements",
      { query },
    );
  }

  /** Every x402 settlement record, page after page (admin key). */
  allX402Settlements(query: Omit<QueryOf<"adminListX402Settlements">, "cursor"> = {}) {
    return paginate((cursor) => this.x402Settlements({ ...query, ...(cursor ? { cursor } : {}) }));
  }

  // machines and pairings

  machines(query: QueryOf<"listMachines"> = {}) {
    return this.json<ResponseBody<"listMachines">>("GET", "/api/v1/machines", { query });
  }

  /** Every machine of the caller, page after page. */
  allMachines(query: Omit<QueryOf<"listMachines">, "cursor"> = {}) {
    return paginate((cursor) => this.machines({ ...query, ...(cursor ? { cursor } : {}) }));
  }

  /** One machine; the hub re-checks its identity proof on every read. */
  machine(id: string) {
    return this.json<ResponseBody<"getMachine">>("GET", `/api/v1/machines/${seg(id)}`);
  }

  /** A single-use challenge to sign (EIP-191) with the machine's controller key. */
  machineChallenge(identityRef: string, call?: CallOptions) {
    return this.json<ResponseBody<"createMachineIdentityChallenge">>(
      "POST",
      "/api/v1/machine-identity/challenges",
      { ...call, body: { identityRef } },
    );
  }

  /** Registers a machine with a signed challenge (`identityProof`). */
  registerMachine(body: RequestBody<"createMachine">, call?: CallOptions) {
    return this.json<ResponseBody<"createMachine">>("POST", "/api/v1/machines", {
      ...call,
      body,
    });
  }

  /** The agent pairings of one of the caller's machines, with policies and spend. */
  pairings(machine_id: string) {
    return this.json<ResponseBody<"listAgentPairings">>(
      "GET",
      `/api/v1/machines/${seg(machine_id)}/agent-pairings`,
    );
  }

  /** Revokes a pairing at once: every token of it is refused from now on. */
  revokePairing(machine_id: string, pairing_id: string, call?: CallOptions) {
    return this.json<ResponseBody<"revokeAgentPairing">>(
      "DELETE",
      `/api/v1/machines/${seg(machine_id)}/agent-pairings/${seg(pairing_id)}`,
      call,
    );
  }
}

/** What `rotateKey` did: the new key (secret shown once) and the old one, revoked or not. */
export interface RotatedKey {
  key: ResponseBody<"createKey">["key"];
  secret: string;
  revoked: ResponseBody<"revokeKey">["key"] | null;
  /** Why the old key is still live, when its revoke failed. */
  revoke_error: unknown;
}

function missingKeyBody(id: string) {
  return {
    type: "about:blank",
    title: "Not found",
    status: 404,
    detail: `no key ${id} among this caller's keys`,
    code: "NOT_FOUND",
  };
}

/** True when `error` is a problem the hub answered with this code. */
export function isProblemCode(error: unknown, code: string): error is AgxProblem {
  return error instanceof AgxProblem && error.code === code;
}
