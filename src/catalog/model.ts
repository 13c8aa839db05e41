import type { Executor } from "../db/db.ts";

/**
 * The catalogue agents shop in. A skill is a capability contract (operations with JSON Schemas);
 * a service is one provider's priced offer of a skill. Both are versioned (`name@version`): an
 * update writes a new version row and marks it latest, so history that orders point to (they keep
 * a snapshot too) is never rewritten. Concurrency: (key, version) and (name, version) are unique
 * in SQL, so two publishers racing for one version get one winner and one CATALOG_*_EXISTS.
 */

export interface SkillOperation {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  output_schema: Record<string, unknown>;
  examples: { input: unknown; output?: unknown }[];
}

export interface Skill {
  id: string;
  key: string;
  version: string;
  label: string;
  description: string;
  tags: string[];
  operations: SkillOperation[];
  owner_id: string;
  latest: boolean;
  created_at_ms: number;
}

export type ExecutionMode = "native" | "external-handoff";
export type PricingModel = "fixed" | "per_unit" | "quote-required" | "provider-defined";
export type PricingUnit = "request" | "kilobyte" | "character" | "item";

/** Prices are exact minor units of `asset`. */
export interface Pricing {
  model: PricingModel;
  asset: string;
  amount_minor: bigint | null;
  unit: PricingUnit;
  amount_minor_per_unit: bigint | null;
  minimum_minor: bigint | null;
  notes: string[];
}

export interface Endpoint {
  url: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  protocols: string[];
  networks: string[];
}

export interface Handoff {
  label: string;
  url: string;
  contact: string | null;
  steps: string[];
}

export type ServiceStatus = "active" | "retired";
export type Maturity = "reference" | "beta" | "production";
export type IntegrationStatus = "live" | "sandbox" | "planned";

export interface Service {
  id: string;
  name: string;
  version: string;
  provider_id: string;
  skill_key: string;
  description: string;
  company_name: string;
  execution_mode: ExecutionMode;
  /** `builtin:<key>` for services the hub runs itself; else the provider's endpoints. */
  endpoints: Endpoint[];
  handoff: Handoff | null;
  region: string;
  tags: string[];
  pricing: Pricing;
  rails: string[];
  integration_status: IntegrationStatus;
  maturity: Maturity;
  /** Filled from real runs (p50 latency, success rate over 30 days). */
  p50_latency_ms: number | null;
  success_rate: number | null;
  status: ServiceStatus;
  latest: boolean;
  created_at_ms: number;
}

/** Filters of service lists and searches. */
export interface ServiceFilter {
  skill_key?: string;
  tag?: string;
  category?: string;
  provider_id?: string;
  rail?: string;
  execution_mode?: ExecutionMode;
  price_min_minor?: bigint;
  price_max_minor?: bigint;
  region?: string;
}

/**
 * Where live health comes from (the stats module's summary of real runs), by service name.
 * A service absent from the map, or with null figures, keeps what it has ("no track record").
 */
export type HealthSource = (
  ex: Executor,
  names: string[],
) => Promise<Map<string, { success_rate: number | null; p50_latency_ms: number | null }>>;

/** What the searcher brings, used to rank (peaq: the requesting machine's context). */
export interface SearchContext {
  region?: string;
  skill_keys?: string[];
  budget_minor?: bigint;
  max_latency_ms?: number;
  min_trust?: number;
}

/**
 * One full-text match as search ranks it, before the full service is read: the few fields the
 * ranking uses (price is the list price, else the per-unit minimum), health where it is known.
 */
export interface SearchHit {
  id: string;
  name: string;
  skill_key: string;
  region: string;
  maturity: Maturity;
  price_minor: bigint | null;
  p50_latency_ms: number | null;
  success_rate: number | null;
  /** Text relevance in (0, 1]. */
  relevance: number;
}
