/**
 * Catalogue search (issue #3): `POST /api/v1/market/search` over real HTTP on a hub that holds
 * 100k generated services (× BENCH_SCALE), on SQLite and PostgreSQL. The same-run baseline is the
 * raw full-text query the endpoint starts from: the catalogue store's searchServices with the same
 * tokens and filters on the same database. Latencies are p50/p99 in ms; figures, not assertions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { type ServiceInput, type SkillInput, tokensOf } from "../src/catalog/index.ts";
import { searchServices } from "../src/catalog/store.ts";
import { loadConfig } from "../src/config.ts";
import { type Database, openDatabase } from "../src/db/db.ts";
import { filterOf } from "../src/http/routes/catalog/services.ts";
import { limits } from "../src/kernel/limits.ts";
import { createHub, type Hub } from "../src/main.ts";

const pgUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SEED = 0x5eed_0003;
const SERVICES_AT_SCALE_1 = 100_000;
const BATCH_SERVICES = 1000;
const COMPANIES = 1000;
const QUERIES = 200;
const MEASURED_PASSES = 3;
const PUBLISH_SAMPLES = 20;

export interface SearchInsertRow {
  database: string;
  services: number;
  /** Bulk load: 1000 per transaction, with the load-only index. */
  services_per_s: number;
  /** One publish per transaction on the full catalogue, production indexes only. */
  publish_per_s: number;
}

export interface SearchRow {
  database: string;
  case: string;
  samples: number;
  p50_ms: number;
  p99_ms: number;
  raw_p50_ms: number;
  raw_p99_ms: number;
  /** Mean results per answer (quotes over HTTP). */
  results_mean: number;
  /** Mean candidate rows of the raw query (it fetches up to search_candidates_max). */
  candidates_mean: number;
  target: string;
}

/** mulberry32: a small seeded generator, so every run builds and searches the same catalogue. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  // Skewed towards the front of a list (roughly Zipf), as word and vendor popularity are.
  const skewed = <T>(xs: readonly T[]): T => xs[Math.floor(next() ** 2 * xs.length)] as T;
  const some = <T>(xs: readonly T[], n: number): T[] => {
    const out = new Set<T>();
    while (out.size < Math.min(n, xs.length)) out.add(pick(xs));
    return [...out];
  };
  return { next, int, pick, skewed, some };
}
type Rng = ReturnType<typeof seeded>;

interface Category {
  verbs: string[];
  words: string[];
  tags: string[];
}

// Ten categories of five verbs: the 50 skills. Keys avoid the built-ins' (text., hash., …).
const CATEGORIES: Record<string, Category> = {
  doc: {
    verbs: ["extract", "classify", "redact", "compare", "parse"],
    words: ["document", "pdf", "invoice", "contract", "form", "page", "layout", "table", "scan"],
    tags: ["ocr", "pdf", "forms", "legal", "paperwork"],
  },
  vision: {
    verbs: ["detect", "caption", "resize", "segment", "upscale"],
    words: ["image", "photo", "object", "face", "label", "pixel", "thumbnail", "scene", "logo"],
    tags: ["vision", "images", "gpu", "media", "cv"],
  },
  speech: {
    verbs: ["transcribe", "synthesize", "diarize", "denoise", "dub"],
    words: ["audio", "voice", "speaker", "transcript", "podcast", "call", "accent", "subtitle"],
    tags: ["audio", "speech", "asr", "tts", "media"],
  },
  geo: {
    verbs: ["geocode", "route", "lookup", "reverse", "isochrone"],
    words: ["address", "map", "route", "coordinate", "location", "postcode", "distance", "traffic"],
    tags: ["maps", "geo", "logistics", "gis", "places"],
  },
  fin: {
    verbs: ["convert", "score", "reconcile", "forecast", "audit"],
    words: ["payment", "currency", "exchange", "ledger", "tax", "fraud", "credit", "bank"],
    tags: ["finance", "payments", "kyc", "fx", "accounting"],
  },
  data: {
    verbs: ["clean", "dedupe", "enrich", "profile", "join"],
    words: ["dataset", "csv", "schema", "record", "column", "duplicate", "anomaly", "metric"],
    tags: ["etl", "data", "analytics", "warehouse", "quality"],
  },
  code: {
    verbs: ["review", "generate", "format", "lint", "explain"],
    words: ["repository", "function", "test", "bug", "commit", "dependency", "license", "snippet"],
    tags: ["devtools", "code", "ci", "typescript", "python"],
  },
  sec: {
    verbs: ["scan", "verify", "monitor", "assess", "rotate"],
    words: ["vulnerability", "certificate", "password", "malware", "phishing", "domain", "threat"],
    tags: ["security", "compliance", "soc2", "pentest", "identity"],
  },
  lang: {
    verbs: ["translate", "correct", "summarize", "tag", "rewrite"],
    words: ["sentence", "grammar", "tone", "keyword", "entity", "sentiment", "glossary"],
    tags: ["nlp", "translation", "multilingual", "llm", "content"],
  },
  web: {
    verbs: ["crawl", "watch", "archive", "scrape", "index"],
    words: ["website", "sitemap", "screenshot", "link", "price", "product", "review", "news"],
    tags: ["web", "scraping", "seo", "ecommerce", "monitoring"],
  },
};

const ADJECTIVES = [
  "fast",
  "accurate",
  "secure",
  "scalable",
  "realtime",
  "batch",
  "multilingual",
  "lightweight",
  "enterprise",
  "private",
  "reliable",
  "affordable",
  "premium",
  "streaming",
  "hosted",
  "certified",
  "automated",
  "precise",
  "robust",
  "instant",
];
const NOUNS = ["api", "service", "engine", "pipeline", "toolkit", "platform", "agent", "gateway"];
const AUDIENCES = ["startup", "agency", "research", "retail", "healthcare", "logistics", "media"];
const COMMON_TAGS = ["gdpr", "low-latency", "open-source", "eu-hosted", "ai", "sla", "beta"];
const REGIONS = [
  "global",
  "eu-west",
  "us-east",
  "eu-central",
  "us-west",
  "ap-southeast",
  "sa-east",
];
const RAILS = ["agx-ledger", "x402", "stripe", "lightning"];
const SYLLABLES = ["ver", "ta", "lo", "qui", "nex", "ora", "sol", "bri", "cor", "dyn", "ax", "mi"];
const SYLLABLES_2 = ["zen", "pra", "lum", "tri", "vo", "ka", "rel", "sen", "fi", "gra", "mo"];
const SUFFIXES = ["labs", "systems", "ai", "works", "data", "cloud", "tech", "io"];

interface GeneratedSkill {
  input: SkillInput;
  category: string;
  verb: string;
}

const textSchema = {
  type: "object",
  properties: { text: { type: "string", maxLength: 100_000 } },
  additionalProperties: true,
};

function skillsOf(rng: Rng): GeneratedSkill[] {
  return Object.entries(CATEGORIES).flatMap(([category, c]) =>
    c.verbs.map((verb) => {
      const [w1, w2, w3] = rng.some(c.words, 3);
      const input: SkillInput = {
        key: `${category}.${verb}`,
        version: "1.0.0",
        label: `${verb} ${w1}`,
        description: `${verb}s ${w1}, ${w2} and ${w3} for ${category} workloads`,
        tags: rng.some(c.tags, 3),
        operations: [
          {
            name: verb,
            description: `${verb} one ${w1} or ${w2}`,
            input_schema: textSchema,
            output_schema: { type: "object" },
            examples: [],
          },
        ],
      };
      return { input, category, verb };
    }),
  );
}

function companiesOf(rng: Rng): string[] {
  const names = new Set<string>();
  while (names.size < COMPANIES) {
    const stem =
      rng.pick(SYLLABLES) + rng.pick(SYLLABLES_2) + (rng.next() < 0.5 ? rng.pick(SYLLABLES) : "");
    names.add(`${stem} ${rng.pick(SUFFIXES)}`);
  }
  return [...names];
}

function pricingOf(rng: Rng): ServiceInput["pricing"] {
  const base = { asset: "USDC", notes: [] as string[] };
  // Log-uniform from 0.001 to ~5 USDC (6 decimals).
  const amount = () => BigInt(Math.round(1000 * 5000 ** rng.next()));
  const r = rng.next();
  if (r < 0.7) {
    const amount_minor = amount();
    return {
      ...base,
      model: "fixed",
      amount_minor,
      unit: "request",
      amount_minor_per_unit: null,
      minimum_minor: null,
    };
  }
  if (r < 0.95) {
    const unit = rng.pick(["kilobyte", "character", "item"] as const);
    return {
      ...base,
      model: "per_unit",
      amount_minor: null,
      unit,
      amount_minor_per_unit: amount() / 100n + 1n,
      minimum_minor: amount(),
    };
  }
  return {
    ...base,
    model: "quote-required",
    amount_minor: null,
    unit: "request",
    amount_minor_per_unit: null,
    minimum_minor: null,
  };
}

function serviceOf(rng: Rng, i: number, skill: GeneratedSkill, company: string): ServiceInput {
  const c = CATEGORIES[skill.category] as Category;
  const slug = company.replace(/ /g, "-");
  const [w1, w2, w3] = [rng.skewed(c.words), rng.skewed(c.words), rng.pick(c.words)];
  const other = CATEGORIES[rng.pick(Object.keys(CATEGORIES))] as Category;
  const [adj, adj2, noun] = [rng.skewed(ADJECTIVES), rng.pick(ADJECTIVES), rng.pick(NOUNS)];
  const sentences = [
    `${adj} ${w1} ${skill.verb} ${noun} for ${w2} and ${w3} work.`,
    `Handles ${rng.skewed(other.words)} input with ${adj2} ${rng.pick(c.words)} support.`,
    `Built by ${company} for ${rng.pick(AUDIENCES)} teams.`,
  ];
  const execution_mode = rng.next() < 0.85 ? "native" : "external-handoff";
  return {
    name: `${slug}-${w1}-${skill.verb}-${i.toString(36)}`,
    version: "1.0.0",
    skill_key: skill.input.key,
    description: sentences.slice(0, 2 + rng.int(2)).join(" "),
    company_name: company,
    execution_mode,
    endpoints: [
      {
        url: `https://${slug}.example/${skill.verb}`,
        method: "POST",
        protocols: ["agx"],
        networks: [],
      },
    ],
    handoff:
      execution_mode === "native"
        ? null
        : {
            label: `Contact ${company}`,
            url: `https://${slug}.example/onboard`,
            contact: null,
            steps: ["sign up"],
          },
    region: rng.skewed(REGIONS),
    tags: [...new Set([...rng.some(c.tags, 1 + rng.int(3)), ...rng.some(COMMON_TAGS, rng.int(3))])],
    pricing: pricingOf(rng),
    rails: rng.some(RAILS, 1 + rng.int(2)),
    integration_status: rng.skewed(["live", "sandbox", "planned"] as const),
    maturity: rng.skewed(["production", "beta", "reference"] as const),
  };
}

/** The bench's own principals: one skill owner and one provider per generated company. */
async function principalsOf(hub: Hub, skills: GeneratedSkill[], companies: string[]) {
  const { db, catalog, identity } = hub.ctx;
  return db.transaction(async (tx) => {
    const owner = await identity.createPrincipal(tx, {
      kind: "agent",
      handle: "bench-skills",
      display_name: "skills",
    });
    for (const s of skills) await catalog.publishSkill(tx, owner.id, s.input);
    const ids: string[] = [];
    for (const [i, name] of companies.entries()) {
      const p = await identity.createPrincipal(tx, {
        kind: "agent",
        handle: `bench-provider-${i}`,
        display_name: name,
      });
      ids.push(p.id);
    }
    return ids;
  });
}

interface Catalogue {
  rng: Rng;
  skills: GeneratedSkill[];
  companies: string[];
  providers: string[];
}

function nextService(c: Catalogue, i: number) {
  const k = Math.floor(c.rng.next() ** 3 * COMPANIES); // a few big vendors, a long tail
  const skill = c.rng.skewed(c.skills);
  return {
    provider: c.providers[k] as string,
    input: serviceOf(c.rng, i, skill, c.companies[k] as string),
  };
}

/**
 * Publishes `count` services through the hub's own catalogue (publishService, so URL checks,
 * versioning and the full-text index run exactly as in production), 1000 per transaction. The
 * store's insertService alone would save only the skill and previous-version reads.
 *
 * publishService finds the previous version by `name = ? and latest = 1`; without statistics
 * both databases plan that through catalog_services_latest (every latest row), which makes a
 * bulk load quadratic. A load-only (name, latest) index stands in for the statistics and is
 * dropped before anything is measured; `publishRate` then times the unaided production path.
 */
async function fill(hub: Hub, c: Catalogue, count: number): Promise<number> {
  const { db, catalog } = hub.ctx;
  await sql`create index bench_load_name_latest on catalog_services (name, latest)`.execute(
    db.kysely,
  );
  let ns = 0n;
  for (let i = 0; i < count; i += BATCH_SERVICES) {
    const size = Math.min(BATCH_SERVICES, count - i);
    const batch = Array.from({ length: size }, (_, j) => nextService(c, i + j));
    const start = process.hrtime.bigint();
    await db.transaction(async (tx) => {
      for (const b of batch) await catalog.publishService(tx, b.provider, b.input);
    });
    ns += process.hrtime.bigint() - start;
  }
  await sql`drop index bench_load_name_latest`.execute(db.kysely);
  return count / (Number(ns) / 1e9);
}

/** Services published one per transaction on the full catalogue, as the HTTP route does. */
async function publishRate(hub: Hub, c: Catalogue, first: number): Promise<number> {
  const { db, catalog } = hub.ctx;
  const start = process.hrtime.bigint();
  for (let i = 0; i < PUBLISH_SAMPLES; i++) {
    const b = nextService(c, first + i);
    await db.transaction((tx) => catalog.publishService(tx, b.provider, b.input));
  }
  return PUBLISH_SAMPLES / (elapsedMs(start) / 1000);
}

type Filters = Parameters<typeof filterOf>[1];

interface SearchCase {
  query: string;
  filters?: Filters;
  context?: Record<string, unknown>;
}

/** 1–3 words of the generated vocabulary, a third with filters, a third with context. */
function queriesOf(rng: Rng, skills: GeneratedSkill[], companies: string[]): SearchCase[] {
  return Array.from({ length: QUERIES }, () => {
    const skill = rng.skewed(skills);
    const c = CATEGORIES[skill.category] as Category;
    const pool = [...c.words, ...c.words, ...c.verbs, ...c.tags, ...ADJECTIVES.slice(0, 8)];
    const words = rng.some(pool, 1 + rng.int(3));
    if (rng.next() < 0.05) words.push(rng.pick(companies).split(" ")[0] as string);
    if (rng.next() < 0.03) words.push("quantumflux"); // matches nothing
    const out: SearchCase = { query: words.join(" ") };
    const f = rng.next();
    if (f < 0.08) out.filters = { category: skill.category };
    else if (f < 0.16) out.filters = { skill: skill.input.key };
    else if (f < 0.22) out.filters = { tag: rng.pick(c.tags) };
    else if (f < 0.27) out.filters = { region: rng.pick(REGIONS), price_max: "0.5" };
    else if (f < 0.33) out.filters = { rail: "x402", execution_mode: "native" };
    const k = rng.next();
    if (k < 0.12) out.context = { region: rng.pick(REGIONS) };
    else if (k < 0.22) out.context = { budget: { amount: "1", asset: "USDC" } };
    else if (k < 0.33) out.context = { skill_keys: [skill.input.key], region: "eu-west" };
    return out;
  });
}

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function registerAgent(base: string): Promise<string> {
  const res = await fetch(`${base}/api/agents/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ handle: "bench-searcher" }),
  });
  const body = (await res.json()) as { apiKey?: string };
  if (res.status !== 201 || !body.apiKey) throw new Error(`register answered ${res.status}`);
  return body.apiKey;
}

/** One market search over HTTP (keep-alive), timed until the whole body is read. */
async function httpSearch(url: string, key: string, body: string) {
  const start = process.hrtime.bigint();
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  const ms = elapsedMs(start);
  if (res.status !== 200) throw new Error(`market search answered ${res.status}: ${text}`);
  return { ms, results: (JSON.parse(text) as { quotes: unknown[] }).quotes.length };
}

interface Series {
  ms: number[];
  results: number[];
}

/** The raw full-text query the endpoint starts from, timed in-process. */
async function rawSearch(hub: Hub, tokens: string[], filter: ReturnType<typeof filterOf>) {
  const { db } = hub.ctx;
  const start = process.hrtime.bigint();
  const found = await searchServices(
    db.kysely,
    db.dialect,
    tokens,
    filter,
    limits.search_candidates_max,
  );
  return { ms: elapsedMs(start), results: found.length };
}

/**
 * A warm-up pass, then the measured passes. Each query runs raw, with limit 10 and with limit 1
 * back to back, in an order rotated per pass so no case always meets the pages the others warmed.
 */
async function searchAll(hub: Hub, base: string, key: string, cases: SearchCase[]) {
  const url = `${base}/api/v1/market/search`;
  const series = { raw: newSeries(), ten: newSeries(), one: newSeries() };
  const runs = cases.map((c) => {
    const tokens = tokensOf(c.query);
    const filter = filterOf(hub.ctx, c.filters ?? {});
    const [ten, one] = [10, 1].map((limit) => JSON.stringify({ ...c, limit })) as [string, string];
    return [
      { to: series.raw, run: () => rawSearch(hub, tokens, filter) },
      { to: series.ten, run: () => httpSearch(url, key, ten) },
      { to: series.one, run: () => httpSearch(url, key, one) },
    ];
  });
  for (let pass = 0; pass <= MEASURED_PASSES; pass++) {
    for (const three of runs) {
      for (let k = 0; k < three.length; k++) {
        const { to, run } = three[(k + pass) % three.length] as (typeof three)[number];
        const r = await run();
        if (pass > 0) push(to, r);
      }
    }
  }
  return series;
}

const newSeries = (): Series => ({ ms: [], results: [] });
function push(s: Series, r: { ms: number; results: number }) {
  s.ms.push(r.ms);
  s.results.push(r.results);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function benchOn(name: string, db: Database, dir: string, services: number) {
  const config = loadConfig({
    env: {},
    overrides: { env: "test", log_level: "silent", host: "127.0.0.1", port: 0, data_dir: dir },
  });
  const hub = await createHub(config, { database: db });
  try {
    const rng = seeded(SEED);
    const skills = skillsOf(rng);
    const companies = companiesOf(rng);
    const c = { rng, skills, companies, providers: await principalsOf(hub, skills, companies) };
    const services_per_s = await fill(hub, c, services);
    // A loaded PostgreSQL has statistics (autovacuum); do not measure the planner without them.
    if (db.dialect === "postgres") await sql`analyze`.execute(db.kysely);
    const base = await hub.listen();
    const key = await registerAgent(base);
    const s = await searchAll(hub, base, key, queriesOf(rng, skills, companies));
    const publish_per_s = await publishRate(hub, c, services);
    const row = (label: string, x: Series, target: string): SearchRow => ({
      database: name,
      case: label,
      samples: x.ms.length,
      p50_ms: percentile(x.ms, 0.5),
      p99_ms: percentile(x.ms, 0.99),
      raw_p50_ms: percentile(s.raw.ms, 0.5),
      raw_p99_ms: percentile(s.raw.ms, 0.99),
      results_mean: mean(x.results),
      candidates_mean: mean(s.raw.results),
      target,
    });
    const target = name === "sqlite" ? "5 / 20" : "-";
    return {
      insert: { database: name, services, services_per_s, publish_per_s },
      rows: [row("HTTP search, limit 10", s.ten, target), row("HTTP search, limit 1", s.one, "-")],
    };
  } finally {
    await hub.close();
  }
}

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function pgAdmin(text: string) {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(text);
  await c.end();
}

/** Market search latency on both databases beside the raw full-text query of the same run. */
export async function benchSearch(scale: number) {
  const services = Math.max(1000, Math.round(SERVICES_AT_SCALE_1 * scale));
  const inserts: SearchInsertRow[] = [];
  const searches: SearchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), "agx-bench-search-"));
  const lite = openDatabase({ kind: "sqlite", file: join(dir, "search.db") });
  try {
    const r = await benchOn("sqlite", lite, dir, services);
    inserts.push(r.insert);
    searches.push(...r.rows);
  } finally {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (!(await pgReachable())) {
    process.stdout.write(`PostgreSQL not reachable at ${pgUrl}: search skipped\n`);
    return { inserts, searches };
  }
  const schema = `agx_bench_search_${process.pid}`;
  await pgAdmin(`create schema ${schema}`);
  const db = openDatabase({ kind: "postgres", url: pgUrl, schema, pool_size_max: 10 });
  const pgDir = mkdtempSync(join(tmpdir(), "agx-bench-search-"));
  try {
    const r = await benchOn("postgres", db, pgDir, services);
    inserts.push(r.insert);
    searches.push(...r.rows);
  } finally {
    await db.close();
    await pgAdmin(`drop schema ${schema} cascade`);
    rmSync(pgDir, { recursive: true, force: true });
  }
  return { inserts, searches };
}
