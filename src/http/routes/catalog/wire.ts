import { type Static, Type } from "@sinclair/typebox";
import type { Pricing, Quote, Service, ServiceInput, Skill } from "../../../catalog/index.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { limits } from "../../../kernel/limits.ts";
import { minorToDecimal } from "../../../kernel/money.ts";
import type { AppContext } from "../../context.ts";
import { AssetCode, DecimalAmount } from "../../schemas.ts";
import { decimalsOf, minorOf } from "../../wire.ts";

const Str = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });
const Tags = Type.Array(Type.String({ pattern: "^[a-z0-9][a-z0-9_.:-]{0,39}$" }), {
  maxItems: limits.tags_per_entry_max,
  uniqueItems: true,
});
const HttpUrl = Type.String({ maxLength: limits.url_chars_max, pattern: "^(https?://|builtin:)" });
/** A provider endpoint; `machine://<machine id>/<provider key>` runs on the caller's machine. */
const EndpointUrl = Type.String({
  maxLength: limits.url_chars_max,
  pattern: "^(https?://|builtin:|machine://)",
});

export const SkillKey = Type.String({
  pattern: "^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)+$",
  maxLength: 80,
});
export const Version = Type.String({
  pattern: "^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$",
  maxLength: 40,
});

export const OperationBody = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z][a-z0-9_-]{0,39}$" }),
    description: Str(limits.description_chars_max),
    input_schema: Type.Record(Type.String(), Type.Unknown()),
    output_schema: Type.Record(Type.String(), Type.Unknown()),
    examples: Type.Optional(
      Type.Array(Type.Object({ input: Type.Unknown(), output: Type.Optional(Type.Unknown()) }), {
        maxItems: 10,
      }),
    ),
  },
  { additionalProperties: false },
);

export const SkillBody = Type.Object(
  {
    key: SkillKey,
    version: Version,
    label: Str(120, 1),
    description: Str(limits.description_chars_max, 1),
    tags: Type.Optional(Tags),
    operations: Type.Array(OperationBody, { minItems: 1, maxItems: limits.skill_operations_max }),
  },
  { additionalProperties: false },
);

export const SkillWire = Type.Object({
  id: Type.String(),
  key: Type.String(),
  version: Type.String(),
  label: Type.String(),
  description: Type.String(),
  tags: Type.Array(Type.String()),
  operations: Type.Array(Type.Unknown()),
  owner_id: Type.String(),
  created_at: Type.String(),
});

export function skillWire(s: Skill) {
  return {
    id: s.id,
    key: s.key,
    version: s.version,
    label: s.label,
    description: s.description,
    tags: s.tags,
    operations: s.operations,
    owner_id: s.owner_id,
    created_at: isoOf(s.created_at_ms),
  };
}

const PricingBody = Type.Object(
  {
    model: Type.Union([
      Type.Literal("fixed"),
      Type.Literal("per_unit"),
      Type.Literal("quote-required"),
      Type.Literal("provider-defined"),
    ]),
    asset: AssetCode,
    amount: Type.Optional(DecimalAmount),
    unit: Type.Optional(
      Type.Union([
        Type.Literal("request"),
        Type.Literal("kilobyte"),
        Type.Literal("character"),
        Type.Literal("item"),
      ]),
    ),
    amount_per_unit: Type.Optional(DecimalAmount),
    minimum: Type.Optional(DecimalAmount),
    notes: Type.Optional(Type.Array(Str(500), { maxItems: 10 })),
  },
  { additionalProperties: false },
);

export const ServiceBody = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]{1,79}$" }),
    version: Version,
    skill_key: SkillKey,
    description: Str(limits.description_chars_max, 1),
    company_name: Str(200, 1),
    execution_mode: Type.Union([Type.Literal("native"), Type.Literal("external-handoff")]),
    endpoints: Type.Array(
      Type.Object(
        {
          url: EndpointUrl,
          method: Type.Union(["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => Type.Literal(m))),
          protocols: Type.Optional(Type.Array(Str(40), { maxItems: 8 })),
          networks: Type.Optional(Type.Array(Str(80), { maxItems: 16 })),
        },
        { additionalProperties: false },
      ),
      { maxItems: limits.endpoints_per_service_max },
    ),
    handoff: Type.Optional(
      Type.Object(
        {
          label: Str(120, 1),
          url: HttpUrl,
          contact: Type.Optional(Str(200)),
          steps: Type.Array(Str(500), { maxItems: 20 }),
        },
        { additionalProperties: false },
      ),
    ),
    region: Type.Optional(Type.String({ pattern: "^[a-z0-9-]{2,40}$", default: "global" })),
    tags: Type.Optional(Tags),
    pricing: PricingBody,
    rails: Type.Array(Type.String({ pattern: "^[a-z0-9-]{2,40}$" }), {
      minItems: 1,
      maxItems: 16,
      uniqueItems: true,
    }),
    integration_status: Type.Optional(
      Type.Union([Type.Literal("live"), Type.Literal("sandbox"), Type.Literal("planned")]),
    ),
    maturity: Type.Optional(
      Type.Union([Type.Literal("reference"), Type.Literal("beta"), Type.Literal("production")]),
    ),
  },
  { additionalProperties: false },
);

/** Wire pricing (decimal strings) → exact minor units of the asset. */
function pricingOf(ctx: AppContext, p: Static<typeof PricingBody>): Pricing {
  const minor = (text: string | undefined, pointer: string) =>
    text === undefined ? null : text === "0" ? 0n : minorOf(ctx, text, p.asset, pointer);
  return {
    model: p.model,
    asset: p.asset,
    amount_minor: minor(p.amount, "/pricing/amount"),
    unit: p.unit ?? "request",
    amount_minor_per_unit: minor(p.amount_per_unit, "/pricing/amount_per_unit"),
    minimum_minor: minor(p.minimum, "/pricing/minimum"),
    notes: p.notes ?? [],
  };
}

export function serviceInputOf(ctx: AppContext, b: Static<typeof ServiceBody>): ServiceInput {
  return {
    name: b.name,
    version: b.version,
    skill_key: b.skill_key,
    description: b.description,
    company_name: b.company_name,
    execution_mode: b.execution_mode,
    endpoints: b.endpoints.map((e) => ({
      url: e.url,
      method: e.method as ServiceInput["endpoints"][number]["method"],
      protocols: e.protocols ?? [],
      networks: e.networks ?? [],
    })),
    handoff: b.handoff
      ? {
          label: b.handoff.label,
          url: b.handoff.url,
          contact: b.handoff.contact ?? null,
          steps: b.handoff.steps,
        }
      : null,
    region: b.region ?? "global",
    tags: b.tags ?? [],
    pricing: pricingOf(ctx, b.pricing),
    rails: b.rails,
    integration_status: b.integration_status ?? "live",
    maturity: b.maturity ?? "beta",
  };
}

export const ServiceWire = Type.Object({
  id: Type.String(),
  name: Type.String(),
  version: Type.String(),
  ref: Type.String(),
  provider_id: Type.String(),
  skill_key: Type.String(),
  description: Type.String(),
  company_name: Type.String(),
  execution_mode: Type.String(),
  endpoints: Type.Array(Type.Unknown()),
  handoff: Type.Union([Type.Unknown(), Type.Null()]),
  region: Type.String(),
  tags: Type.Array(Type.String()),
  pricing: Type.Record(Type.String(), Type.Unknown()),
  rails: Type.Array(Type.String()),
  integration_status: Type.String(),
  maturity: Type.String(),
  p50_latency_ms: Type.Union([Type.Number(), Type.Null()]),
  success_rate: Type.Union([Type.Number(), Type.Null()]),
  status: Type.String(),
  latest: Type.Boolean(),
  created_at: Type.String(),
});

export function serviceWire(ctx: AppContext, s: Service) {
  const d = decimalsOf(ctx, s.pricing.asset);
  const dec = (v: bigint | null) => (v === null ? undefined : minorToDecimal(v, d));
  const p = s.pricing;
  return {
    id: s.id,
    name: s.name,
    version: s.version,
    ref: `${s.name}@${s.version}`,
    provider_id: s.provider_id,
    skill_key: s.skill_key,
    description: s.description,
    company_name: s.company_name,
    execution_mode: s.execution_mode,
    endpoints: s.endpoints,
    handoff: s.handoff,
    region: s.region,
    tags: s.tags,
    pricing: Object.fromEntries(
      Object.entries({
        model: p.model,
        asset: p.asset,
        amount: dec(p.amount_minor),
        unit: p.unit,
        amount_per_unit: dec(p.amount_minor_per_unit),
        minimum: dec(p.minimum_minor),
        notes: p.notes,
      }).filter(([, v]) => v !== undefined),
    ),
    rails: s.rails,
    integration_status: s.integration_status,
    maturity: s.maturity,
    p50_latency_ms: s.p50_latency_ms,
    success_rate: s.success_rate,
    status: s.status,
    latest: s.latest,
    created_at: isoOf(s.created_at_ms),
  };
}

export const QuoteWire = Type.Object({
  id: Type.String(),
  service_id: Type.String(),
  service: Type.String(),
  skill_key: Type.String(),
  operation: Type.String(),
  price: Type.Object({ amount: Type.String(), amount_minor: Type.String(), asset: Type.String() }),
  units: Type.String(),
  input_sha256: Type.String(),
  expires_at: Type.String(),
  jws: Type.String({ description: "The quote signed by the hub (EdDSA, typ agx-quote+jwt)" }),
});

export function quoteWire(ctx: AppContext, q: Quote) {
  return {
    id: q.id,
    service_id: q.service_id,
    service: q.service,
    skill_key: q.skill_key,
    operation: q.operation,
    price: {
      amount: minorToDecimal(q.amount_minor, decimalsOf(ctx, q.asset)),
      amount_minor: q.amount_minor.toString(),
      asset: q.asset,
    },
    units: q.units.toString(),
    input_sha256: q.input_sha256,
    expires_at: isoOf(q.expires_at_ms),
    jws: q.jws,
  };
}
