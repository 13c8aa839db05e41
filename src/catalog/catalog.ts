import type { DialectName, Executor } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { limits } from "../kernel/limits.ts";
import { Problem } from "../kernel/problem.ts";
import { createLookup } from "./lookup.ts";
import type {
  HealthSource,
  SearchContext,
  SearchHit,
  Service,
  ServiceFilter,
  Skill,
  SkillOperation,
} from "./model.ts";
import { checkPricing, priceOf } from "./pricing.ts";
import { catalogProblems } from "./problems.ts";
import { HEALTH_SCORE_MAX, type Ranked, rankHits, tokensOf } from "./rank.ts";
import { checkInput, compileSchema } from "./schemas.ts";
import { createSearchRowCache } from "./search-rows.ts";
import * as searchStore from "./search-store.ts";
import * as store from "./store.ts";

/** Signs a quote payload as a compact JWS with the hub's key (injected by the composition root). */
export type QuoteSigner = (ex: Executor, payload: Record<string, unknown>) => Promise<string>;

export interface CatalogDeps {
  clock: Clock;
  dialect: DialectName;
  signQuote: QuoteSigner;
  /** Refuses outbound URLs that are unsafe (SSRF guard); throws a Problem. */
  checkUrl: (url: string, pointer: string) => Promise<void>;
  quote_ttl_ms?: number;
  /** Success rate and p50 latency from real runs, fed into ranking and manifests. */
  health?: HealthSource;
}

export type SkillInput = Omit<Skill, "id" | "owner_id" | "latest" | "created_at_ms">;
export type ServiceInput = Omit<
  Service,
  "id" | "provider_id" | "latest" | "created_at_ms" | "status" | "p50_latency_ms" | "success_rate"
>;

/** One call to price: a service, an operation (its skill's first by default) and an input. */
export interface QuoteSpec {
  service: Service;
  operation?: string;
  input?: unknown;
  /** Price by declared input size instead of an input (AIMP `?input_size=`). */
  units?: bigint;
  requester_id?: string | null;
}

/** A quote, or the problem that kept a service from quoting (its pricing, the input …). */
export type QuoteOutcome = { quote: Quote } | { problem: Problem };

/** What a quote promises. */
export interface Quote {
  id: string;
  service_id: string;
  service: string;
  skill_key: string;
  operation: string;
  amount_minor: bigint;
  asset: string;
  units: bigint;
  input_sha256: string;
  expires_at_ms: number;
  jws: string;
}

/** The text a service is found by: its own words and its skill's. */
function searchTextOf(s: ServiceInput | Service, skill: Skill): string {
  return [
    s.name,
    s.description,
    s.company_name,
    s.tags.join(" "),
    skill.key,
    skill.label,
    skill.description,
    skill.operations.map((o) => `${o.name} ${o.description}`).join(" "),
  ]
    .join(" ")
    .slice(0, 20_000);
}

/** Skills, services, search and quotes. Writes take the caller's transaction. */
export function createCatalog(deps: CatalogDeps) {
  const { clock } = deps;
  const ttl_ms = deps.quote_ttl_ms ?? limits.quote_ttl_ms;
  const lookup = createLookup();
  /** BM25's statistics on SQLite, dropped whenever this catalogue writes what search reads. */
  const termStats = searchStore.createTermStats();
  /** SQLite search rows by rid (immutable, so never invalidated; see search-rows.ts). */
  const searchRows = createSearchRowCache();

  async function publishSkill(tx: Executor, owner_id: string, input: SkillInput): Promise<Skill> {
    input.operations.forEach((op, i) => {
      compileSchema(op.input_schema, `/operations/${i}/input_schema`);
      compileSchema(op.output_schema, `/operations/${i}/output_schema`);
    });
    const existing = await store.skillByKey(tx, input.key);
    if (existing && existing.owner_id !== owner_id) {
      throw new Problem(
        catalogProblems.CATALOG_NOT_OWNER,
        `skill ${input.key} belongs to another owner`,
      );
    }
    const skill: Skill = {
      ...input,
      id: newId("skl", clock.now_ms()),
      owner_id,
      latest: true,
      created_at_ms: clock.now_ms(),
    };
    if (!(await store.insertSkill(tx, skill))) {
      throw new Problem(
        catalogProblems.CATALOG_SKILL_EXISTS,
        `${input.key}@${input.version} exists`,
      );
    }
    return skill;
  }

  async function requireSkill(ex: Executor, key: string): Promise<Skill> {
    const skill = await store.skillByKey(ex, key);
    if (!skill) throw new Problem(catalogProblems.CATALOG_SKILL_NOT_FOUND, `no skill ${key}`);
    return skill;
  }

  /**
   * Publishes a service version (a new name, or a new version of the caller's own service).
   * `claimUrl`, from a layer that knows the caller, takes endpoint URLs of schemes the catalogue
   * cannot judge (it returns true, or throws to refuse); the rest must pass `checkUrl`.
   */
  async function publishService(
    tx: Executor,
    provider_id: string,
    input: ServiceInput,
    options: { claimUrl?: (url: string, pointer: string) => Promise<boolean> } = {},
  ) {
    const skill = await requireSkill(tx, input.skill_key);
    checkPricing(input.pricing);
    for (const [i, e] of input.endpoints.entries()) {
      const pointer = `/endpoints/${i}/url`;
      if (e.url.startsWith("builtin:") || (await options.claimUrl?.(e.url, pointer))) continue;
      await deps.checkUrl(e.url, pointer);
    }
    if (input.handoff) await deps.checkUrl(input.handoff.url, "/handoff/url");
    const previous = await store.serviceByName(tx, input.name);
    if (previous && previous.provider_id !== provider_id) {
      throw new Problem(
        catalogProblems.CATALOG_NOT_OWNER,
        `service ${input.name} belongs to another provider`,
      );
    }
    const service: Service = {
      ...input,
      id: newId("svc", clock.now_ms()),
      provider_id,
      status: "active",
      latest: true,
      p50_latency_ms: previous?.p50_latency_ms ?? null,
      success_rate: previous?.success_rate ?? null,
      created_at_ms: clock.now_ms(),
    };
    if (!(await store.insertService(tx, deps.dialect, service, searchTextOf(service, skill)))) {
      throw new Problem(
        catalogProblems.CATALOG_SERVICE_EXISTS,
        `${input.name}@${input.version} exists`,
      );
    }
    termStats.invalidate();
    return service;
  }

  /**
   * Loads services of new names in bulk (a generated or imported catalogue: the search bench),
   * indexed for search as publishService indexes them. Pricing and skills are checked; endpoint
   * URLs are not (the loader is trusted), and no earlier version is looked for: a name that
   * exists already is a programmer error.
   */
  async function importServices(
    tx: Executor,
    items: { provider_id: string; input: ServiceInput }[],
  ): Promise<Service[]> {
    const skills = await store.latestSkills(tx, [...new Set(items.map((i) => i.input.skill_key))]);
    const now_ms = clock.now_ms();
    const rows = items.map(({ provider_id, input }) => {
      const skill = skills.get(input.skill_key);
      if (!skill) {
        throw new Problem(catalogProblems.CATALOG_SKILL_NOT_FOUND, `no skill ${input.skill_key}`);
      }
      checkPricing(input.pricing);
      const service: Service = {
        ...input,
        id: newId("svc", now_ms),
        provider_id,
        status: "active",
        latest: true,
        p50_latency_ms: null,
        success_rate: null,
        created_at_ms: now_ms,
      };
      return { service, search_text: searchTextOf(service, skill) };
    });
    await store.insertNewServices(tx, deps.dialect, rows);
    termStats.invalidate();
    return rows.map((r) => r.service);
  }

  async function getService(ex: Executor, id: string): Promise<Service> {
    const s = await store.getService(ex, id);
    if (!s) throw new Problem(catalogProblems.CATALOG_SERVICE_NOT_FOUND, `no service ${id}`);
    return s;
  }

  /** Retires the caller's service (it stays readable for orders that point at it). */
  async function retireService(tx: Executor, provider_id: string, id: string): Promise<Service> {
    const s = await getService(tx, id);
    if (s.provider_id !== provider_id) {
      throw new Problem(
        catalogProblems.CATALOG_NOT_OWNER,
        `service ${id} belongs to another provider`,
      );
    }
    await store.retireService(tx, deps.dialect, id);
    termStats.invalidate();
    return { ...s, status: "retired" };
  }

  function operationOf(skill: Skill, name: string | undefined): SkillOperation {
    const op = name ? skill.operations.find((o) => o.name === name) : skill.operations[0];
    if (!op) {
      throw new Problem(
        catalogProblems.CATALOG_OPERATION_UNKNOWN,
        `skill ${skill.key} has no operation ${name}`,
      );
    }
    return op;
  }

  /** Prices and signs one call; the row to store beside the promise. */
  async function priced(ex: Executor, spec: QuoteSpec, skill: Skill | null, now_ms: number) {
    if (!skill) {
      throw new Problem(
        catalogProblems.CATALOG_SKILL_NOT_FOUND,
        `no skill ${spec.service.skill_key}`,
      );
    }
    const op = operationOf(skill, spec.operation);
    if (spec.input !== undefined) checkInput(op.input_schema, spec.input);
    const price = priceOf(spec.service.pricing, spec.input, spec.units);
    if (!price) {
      throw new Problem(
        catalogProblems.QUOTE_NOT_AVAILABLE,
        `${spec.service.name} is priced ${spec.service.pricing.model}; ask the provider`,
      );
    }
    const id = newId("qt", now_ms);
    const input_sha256 = sha256Hex(canonicalJson(spec.input ?? null));
    const expires_at_ms = now_ms + ttl_ms;
    const service = `${spec.service.name}@${spec.service.version}`;
    const jws = await deps.signQuote(ex, {
      jti: id,
      sub: spec.requester_id ?? null,
      service_id: spec.service.id,
      service,
      skill_key: skill.key,
      operation: op.name,
      amount_minor: price.amount_minor.toString(),
      asset: spec.service.pricing.asset,
      units: price.units.toString(),
      input_sha256,
      iat: Math.floor(now_ms / 1000),
      exp: Math.floor(expires_at_ms / 1000),
    });
    const quote: Quote = {
      id,
      service_id: spec.service.id,
      service,
      skill_key: skill.key,
      operation: op.name,
      amount_minor: price.amount_minor,
      asset: spec.service.pricing.asset,
      units: price.units,
      input_sha256,
      expires_at_ms,
      jws,
    };
    const row: store.QuoteRow = {
      id,
      service_id: spec.service.id,
      operation: op.name,
      amount_minor: price.amount_minor,
      asset: spec.service.pricing.asset,
      input_sha256,
      requester_id: spec.requester_id ?? null,
      jws,
      expires_at_ms,
      created_at_ms: now_ms,
    };
    return { quote, row };
  }

  /**
   * Prices several calls, signs each promise and stores them all in one statement. A service
   * that cannot quote (its pricing, the input, an unknown operation) gets its problem in place
   * of a quote; anything else (the database) fails the whole call.
   */
  async function quoteAll(tx: Executor, specs: QuoteSpec[]): Promise<QuoteOutcome[]> {
    const skills = await store.latestSkills(tx, [
      ...new Set(specs.map((s) => s.service.skill_key)),
    ]);
    const now_ms = clock.now_ms();
    const rows: store.QuoteRow[] = [];
    const out: QuoteOutcome[] = [];
    for (const spec of specs) {
      try {
        const p = await priced(tx, spec, skills.get(spec.service.skill_key) ?? null, now_ms);
        rows.push(p.row);
        out.push({ quote: p.quote });
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        out.push({ problem: error });
      }
    }
    await store.insertQuotes(tx, rows);
    return out;
  }

  /** Prices one call of a service for an input, signs the promise, and stores it. */
  async function quote(tx: Executor, spec: QuoteSpec): Promise<Quote> {
    const [outcome] = await quoteAll(tx, [spec]);
    assert(outcome, "quoteAll answers every spec");
    if ("problem" in outcome) throw outcome.problem;
    return outcome.quote;
  }

  /** A stored quote that is still valid; QUOTE_EXPIRED when stale (orders call this). */
  async function liveQuote(ex: Executor, id: string) {
    const q = await store.getQuote(ex, id);
    if (!q) throw new Problem(catalogProblems.QUOTE_NOT_FOUND, `no quote ${id}`);
    if (q.expires_at_ms <= clock.now_ms()) {
      throw new Problem(catalogProblems.QUOTE_EXPIRED, `quote ${id} expired; ask for a new one`);
    }
    return q;
  }

  /** The services with their live health (success rate, p50 latency) where it is known. */
  async function withHealth(ex: Executor, services: Service[]): Promise<Service[]> {
    if (!deps.health || services.length === 0) return services;
    const health = await deps.health(
      ex,
      services.map((s) => s.name),
    );
    return services.map((s) => {
      const h = health.get(s.name);
      if (!h || h.success_rate === null) return s;
      return { ...s, success_rate: h.success_rate, p50_latency_ms: h.p50_latency_ms };
    });
  }

  /** Hits with their live health where it is known (it overrides what they carry). */
  async function hitsWithHealth(ex: Executor, hits: SearchHit[]): Promise<SearchHit[]> {
    if (!deps.health || hits.length === 0) return hits;
    const health = await deps.health(
      ex,
      hits.map((h) => h.name),
    );
    if (health.size === 0) return hits;
    return hits.map((h) => {
      const live = health.get(h.name);
      if (!live || live.success_rate === null) return h;
      return { ...h, success_rate: live.success_rate, p50_latency_ms: live.p50_latency_ms };
    });
  }

  /**
   * The hits that can still make the `limit` best once live health is known: health only adds
   * to a score (at most HEALTH_SCORE_MAX), so a hit whose score without it is more than that
   * below the `limit`-th best cannot. All of them when health can exclude a hit (a latency or
   * trust floor) or there is no limit.
   */
  function contenders(hits: SearchHit[], context: SearchContext, limit: number | undefined) {
    const excludes = context.max_latency_ms !== undefined || context.min_trust !== undefined;
    if (excludes || limit === undefined || hits.length <= limit) return hits;
    const floor = rankHits(hits, context);
    const kth = floor[limit - 1]?.score;
    if (kth === undefined) return hits;
    // Scores are rounded to 1e-4: the margin keeps a tie on either side.
    const keep = new Set(
      floor.filter((r) => r.score + HEALTH_SCORE_MAX + 1e-4 >= kth).map((r) => r.hit.id),
    );
    return hits.filter((h) => keep.has(h.id));
  }

  /**
   * Full-text search with filters, ranked with the searcher's context and live health. Ranking
   * reads narrow search rows; only the `limit` best services (all ranked ones without it) are
   * read in full.
   */
  async function search(
    ex: Executor,
    query: string,
    filter: ServiceFilter,
    context: SearchContext,
    options: { limit?: number } = {},
  ): Promise<Ranked[]> {
    const tokens = tokensOf(query);
    if (tokens.length === 0 && !filter.skill_key && !filter.category) {
      throw new Problem(
        catalogProblems.CATALOG_SEARCH_EMPTY,
        "give a query, a skill key or a category",
      );
    }
    const max = limits.search_candidates_max;
    const hits = tokens.length
      ? await searchStore.searchHits(ex, deps.dialect, tokens, filter, max, {
          stats: termStats,
          rows: searchRows,
        })
      : await searchStore.filteredHits(ex, deps.dialect, filter, 0.5, max);
    const ranked = rankHits(
      await hitsWithHealth(ex, contenders(hits, context, options.limit)),
      context,
    );
    const kept = options.limit === undefined ? ranked : ranked.slice(0, options.limit);
    const services = new Map(
      (
        await lookup.searchedServices(
          ex,
          kept.map((r) => r.hit.id),
        )
      ).map((s) => [s.id, s]),
    );
    return kept.flatMap(({ hit, score, reasons }) => {
      const s = services.get(hit.id);
      if (!s) return [];
      const service =
        hit.success_rate === null
          ? s
          : { ...s, success_rate: hit.success_rate, p50_latency_ms: hit.p50_latency_ms };
      return [{ service, score, reasons }];
    });
  }

  return {
    publishSkill,
    publishService,
    importServices,
    retireService,
    getService,
    requireSkill,
    operationOf,
    quote,
    quoteAll,
    liveQuote,
    search,
    withHealth,
    /** A skill by key: the given version, else the latest (null when none). */
    getSkill: lookup.getSkill,
    /** The latest version of a service by name (null when none). */
    serviceByName: lookup.serviceByName,
    /** The latest version of a service by name with its skill's latest version, in one read. */
    serviceWithSkill: lookup.serviceWithSkill,
    listSkills: store.listSkills,
    /** Latest active services matching the filter, by id, after a cursor. */
    listServices: (ex: Executor, filter: ServiceFilter, after: string | null, limit: number) =>
      store.listServices(ex, deps.dialect, filter, after, limit),
    countServices: store.countServices,
    /** Active services on builtin: endpoints not published by `operator_id`, at most `limit`. */
    resoldBuiltins: store.resoldBuiltins,
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
