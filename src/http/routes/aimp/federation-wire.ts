import { Type } from "@sinclair/typebox";
import type { Executor } from "../../../db/db.ts";
import {
  CAPABILITY_ID,
  decimalTextToMinorCeil,
  federationLimits as FL,
  numberText,
  type Peer,
  PRODUCT_ID,
} from "../../../federation/index.ts";
import type { LocalCapability } from "../../../flows/federation-search.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { limits } from "../../../kernel/limits.ts";
import { minorToDecimal } from "../../../kernel/money.ts";
import type { AppContext } from "../../context.ts";
import { AssetCode } from "../../schemas.ts";
import { type AimpCapability, capabilityIdOf, localCapabilities, usdPerCall } from "./tools.ts";

const Url = Type.String({ minLength: 8, maxLength: limits.url_chars_max, pattern: "^https?://" });
const PublicKey = Type.String({ minLength: 44, maxLength: 44, pattern: "^[A-Za-z0-9+/]{43}=$" });
/** Up to 6 decimals, as prices in USD are compared in µUSD. */
const Usd = Type.String({ pattern: "^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,6})?$", maxLength: 20 });

export const AnnounceBody = Type.Object(
  {
    hub_url: Url,
    well_known_url: Url,
    capabilities_count: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    signer_public_key: PublicKey,
    signature: Type.Object(
      {
        algorithm: Type.Literal("ed25519"),
        value: Type.String({ minLength: 88, maxLength: 88 }),
        public_key: Type.Optional(PublicKey),
      },
      { additionalProperties: false },
    ),
    hub_name: Type.Optional(Type.String({ minLength: 1, maxLength: FL.hub_name_chars_max })),
  },
  { additionalProperties: false },
);

export const AccountBody = Type.Object(
  {
    api_key: Type.Optional(
      Type.String({ minLength: 8, maxLength: FL.credential_chars_max, pattern: "^[!-~]+$" }),
    ),
    channel_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9_.:-]+$" }),
    ),
    asset: Type.Optional(AssetCode),
    bond_usd: Type.Optional(Usd),
  },
  { additionalProperties: false },
);

export const SearchQuery = Type.Object(
  {
    intent: Type.String({ minLength: 1, maxLength: limits.search_query_chars_max }),
    budget: Type.Optional(Usd),
    max_latency_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
    min_trust: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    hub: Type.Optional(Type.String({ minLength: 3, maxLength: limits.url_chars_max })),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: FL.search_results_max,
        default: FL.search_results_default,
      }),
    ),
  },
  { additionalProperties: false },
);

export const InvokeBody = Type.Object(
  {
    product_id: Type.String({ pattern: PRODUCT_ID.source }),
    capability_id: Type.String({ pattern: CAPABILITY_ID.source }),
    source_hub: Url,
    input: Type.Unknown(),
  },
  { additionalProperties: false },
);

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

export const PeerWire = Type.Object({
  id: Type.String(),
  url: Type.String(),
  name: Type.String(),
  state: Type.String({ enum: ["pending", "active", "degraded", "refused"] }),
  capabilities_count: Type.Integer(),
  trust_score: Type.Number(),
  last_crawl: Nullable(Type.String()),
  last_ok: Nullable(Type.String()),
  failures: Type.Integer(),
  signer_public_key: Nullable(Type.String()),
  /** Operators only: why the last crawl failed, and this hub's account at the peer. */
  last_error: Type.Optional(Nullable(Type.String())),
  next_crawl: Type.Optional(Type.String()),
  routing: Type.Optional(
    Type.Object({
      configured: Type.Boolean(),
      via: Nullable(Type.String()),
      asset: Type.String(),
      bond_usd: Type.String(),
    }),
  ),
});

/** A peer on the wire; `operator` adds the crawl error and this hub's account there. */
export function peerWire(peer: Peer, trust: number, operator: boolean) {
  return {
    id: peer.id,
    url: peer.hub_url,
    name: peer.name,
    state: peer.state,
    capabilities_count: peer.capabilities_count,
    trust_score: trust,
    last_crawl: peer.last_crawl_at_ms === null ? null : isoOf(peer.last_crawl_at_ms),
    last_ok: peer.last_ok_at_ms === null ? null : isoOf(peer.last_ok_at_ms),
    failures: peer.failures,
    signer_public_key: peer.signer_public_key,
    ...(operator
      ? {
          last_error: peer.last_error,
          next_crawl: isoOf(peer.next_crawl_at_ms),
          routing: {
            configured: peer.route_kind !== null,
            via: peer.route_kind,
            asset: peer.route_asset,
            bond_usd: minorToDecimal(peer.bond_usd_micros, 6),
          },
        }
      : {}),
  };
}

/** A local capability as the federated catalogue shows it. */
function localView(ctx: AppContext, c: AimpCapability, relevance: number): LocalCapability {
  const price = usdPerCall(ctx, c.service);
  const name = `${c.product_id}.${c.capability_id}`;
  const description = c.operation.description || c.service.description;
  return {
    product_id: c.product_id,
    capability_id: c.capability_id,
    name,
    description,
    price_usd_micros: decimalTextToMinorCeil(numberText(price) ?? "0", 6) ?? 0n,
    p50_latency_ms: c.service.p50_latency_ms,
    relevance,
    tool: {
      name,
      description,
      input_schema: c.operation.input_schema as never,
      output_schema: c.operation.output_schema as never,
      price_per_call_usd: price,
      p50_latency_ms: c.service.p50_latency_ms ?? 0,
      success_rate_30d: c.service.success_rate ?? 1,
      product_id: c.product_id,
      capability_id: c.capability_id,
    },
  };
}

/** Every local capability, for the manifest. */
export async function localTools(ctx: AppContext, ex: Executor): Promise<LocalCapability[]> {
  return (await localCapabilities(ctx, ex)).map((c) => localView(ctx, c, 1));
}

/** The local catalogue's search, one entry per operation of each matching service. */
export async function localSearch(
  ctx: AppContext,
  ex: Executor,
  intent: string,
): Promise<LocalCapability[]> {
  const out: LocalCapability[] = [];
  for (const r of await ctx.catalog.search(ex, intent, {}, {})) {
    if (r.service.status !== "active") continue;
    const skill = await ctx.catalog.getSkill(ex, r.service.skill_key);
    for (const operation of skill?.operations ?? []) {
      if (!skill) continue;
      const cap = {
        product_id: r.service.name,
        capability_id: capabilityIdOf(operation, r.service),
        service: r.service,
        skill,
        operation,
      };
      out.push(localView(ctx, cap, r.score));
    }
    if (out.length >= FL.search_candidates_max) break;
  }
  return out;
}
