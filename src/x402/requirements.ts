import type {
  Network,
  PaymentRequired,
  PaymentRequirements,
  PaymentRequirementsV1,
} from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { EVM_NETWORK_CHAIN_ID_MAP } from "@x402/evm/v1";
import { bazaarResourceServerExtension, declareDiscoveryExtension } from "@x402/extensions/bazaar";
import {
  declarePaymentIdentifierExtension,
  PAYMENT_IDENTIFIER,
} from "@x402/extensions/payment-identifier";
import { encodeRequiredHeader, X402_HEADERS } from "./codec.ts";
import type { X402Challenge, X402Resource, X402Terms } from "./model.ts";

/** The chain id of an `eip155:<id>` network. */
export function chainIdOf(network: Network): number {
  const match = /^eip155:([0-9]{1,12})$/.exec(network);
  if (!match?.[1]) throw new Error(`${network} is not an eip155 CAIP-2 network`);
  return Number(match[1]);
}

/**
 * The v1 name of a CAIP-2 network (`eip155:8453` → `base`), or null: v1 names a fixed list of
 * chains, so a chain outside it (a local 31337) is offered in v2 only.
 */
export function v1NetworkOf(network: Network): string | null {
  const id = chainIdOf(network);
  const entry = Object.entries(EVM_NETWORK_CHAIN_ID_MAP).find(([, chain]) => chain === id);
  return entry ? entry[0] : null;
}

/** The CAIP-2 id of a network named either way (`base-sepolia` → `eip155:84532`). */
export function caip2Of(network: string): Network {
  if (/^eip155:[0-9]{1,12}$/.test(network)) return network as Network;
  const id = (EVM_NETWORK_CHAIN_ID_MAP as Record<string, number>)[network];
  if (id === undefined) throw new Error(`${network} is neither CAIP-2 nor a v1 network name`);
  return `eip155:${id}`;
}

const exactServer = new ExactEvmScheme();

/** Requirements already made, per terms object and amount (routes have few prices). */
const madeV2 = new WeakMap<X402Terms, Map<bigint, PaymentRequirements>>();
const MADE_PER_TERMS_MAX = 1_024;

/**
 * v2 PaymentRequirements of the exact scheme for an amount in the token's atomic units. Made
 * once per terms and amount (each call gets its own copy: callers may keep or extend it).
 */
export async function requirementsV2(
  terms: X402Terms,
  amount_atomic: bigint,
): Promise<PaymentRequirements> {
  let made = madeV2.get(terms);
  if (!made) {
    made = new Map();
    madeV2.set(terms, made);
  }
  const hit = made.get(amount_atomic);
  if (hit) return { ...hit, extra: { ...hit.extra } };
  const fresh = await makeRequirementsV2(terms, amount_atomic);
  if (made.size >= MADE_PER_TERMS_MAX) made.delete(made.keys().next().value as bigint);
  made.set(amount_atomic, fresh);
  return { ...fresh, extra: { ...fresh.extra } };
}

async function makeRequirementsV2(
  terms: X402Terms,
  amount_atomic: bigint,
): Promise<PaymentRequirements> {
  // The exact scheme's own price parser: an AssetAmount passes through as the scheme sees it.
  const price = await exactServer.parsePrice(
    { amount: amount_atomic.toString(), asset: terms.asset, extra: { ...terms.eip712 } },
    terms.network,
  );
  return {
    scheme: "exact",
    network: terms.network,
    amount: price.amount,
    asset: price.asset,
    payTo: terms.pay_to,
    maxTimeoutSeconds: terms.max_timeout_seconds,
    extra: { ...price.extra },
  };
}

/** v1 PaymentRequirements (`maxAmountRequired`, resource inside), or null off the v1 list. */
export function requirementsV1(
  terms: X402Terms,
  amount_atomic: bigint,
  resource: X402Resource,
): PaymentRequirementsV1 | null {
  const network = v1NetworkOf(terms.network);
  if (network === null) return null;
  return {
    scheme: "exact",
    network: network as PaymentRequirementsV1["network"],
    maxAmountRequired: amount_atomic.toString(),
    resource: resource.url,
    description: resource.description ?? "",
    mimeType: resource.mimeType ?? "application/json",
    outputSchema: {},
    payTo: terms.pay_to,
    maxTimeoutSeconds: terms.max_timeout_seconds,
    asset: terms.asset,
    extra: { ...terms.eip712 },
  };
}

/** How crawlers should call a paid route (the Bazaar discovery extension of the 402). */
export interface BazaarSpec {
  method: "POST" | "PUT" | "PATCH";
  /** An example body and its JSON Schema. */
  input?: Record<string, unknown>;
  input_schema?: Record<string, unknown>;
  output_example?: unknown;
  /** A route pattern with `:params` and the concrete path: gives `routeTemplate`. */
  route?: { pattern: string; path: string };
}

/** `{ bazaar: {info, schema, routeTemplate?} }` for a PaymentRequired's `extensions`. */
export function bazaarExtension(spec: BazaarSpec): Record<string, unknown> {
  const declared = declareDiscoveryExtension({
    bodyType: "json",
    ...(spec.input ? { input: spec.input } : {}),
    ...(spec.input_schema ? { inputSchema: spec.input_schema } : {}),
    ...(spec.output_example !== undefined ? { output: { example: spec.output_example } } : {}),
  });
  // The library fills `method` (and the route template) from an HTTP transport context; this
  // is the smallest such context, so the 402 carries exactly what @x402/express would emit.
  const context = {
    method: spec.method,
    adapter: { getPath: () => spec.route?.path ?? "" },
    ...(spec.route ? { routePattern: spec.route.pattern } : {}),
  };
  const enrich = bazaarResourceServerExtension.enrichDeclaration;
  return { bazaar: enrich ? enrich(declared.bazaar, context) : declared.bazaar };
}

/** `{ "payment-identifier": {info:{required}, schema} }` for a PaymentRequired. */
export function paymentIdentifierExtension(required: boolean): Record<string, unknown> {
  return { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(required) };
}

/**
 * The 402 for a price: PAYMENT-REQUIRED (v2, base64 JSON) and `Cache-Control: no-store`, and a
 * body that is the v1 `{x402Version:1, error, accepts}` when the chain has a v1 name, else the
 * v2 PaymentRequired itself (the "same JSON in the body").
 */
export async function buildChallenge(spec: {
  terms: X402Terms;
  amount_atomic: bigint;
  resource: X402Resource;
  error: string;
  extensions?: Record<string, unknown>;
}): Promise<X402Challenge> {
  const required: PaymentRequired = {
    x402Version: 2,
    error: spec.error,
    resource: { ...spec.resource },
    accepts: [await requirementsV2(spec.terms, spec.amount_atomic)],
    ...(spec.extensions && Object.keys(spec.extensions).length > 0
      ? { extensions: spec.extensions }
      : {}),
  };
  const v1 = requirementsV1(spec.terms, spec.amount_atomic, spec.resource);
  const body = v1 ? { x402Version: 1, error: spec.error, accepts: [v1] } : { ...required };
  return {
    status: 402,
    headers: {
      [X402_HEADERS.payment_required]: encodeRequiredHeader(required),
      "cache-control": "no-store",
    },
    body,
    payment_required: required as unknown as Record<string, unknown>,
  };
}
