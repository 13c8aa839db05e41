/**
 * The generated catalogue of the search benchmark: 50 skills in ten categories, 1000 vendors with
 * a long tail, services described in the categories' words, and 1–3 word queries over the same
 * vocabulary. Seeded, so every run builds and searches the same catalogue.
 */
import type { ServiceInput, SkillInput } from "../src/catalog/index.ts";
import type { filterOf } from "../src/http/routes/catalog/services.ts";

export const COMPANIES = 1000;
export const QUERIES = 100;

/** mulberry32: a small seeded generator, so every run builds and searches the same catalogue. */
export function seeded(seed: number) {
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
export type Rng = ReturnType<typeof seeded>;

export interface Category {
  verbs: string[];
  words: string[];
  tags: string[];
}

// Ten categories of five verbs: the 50 skills. Keys avoid the built-ins' (text., hash., …).
export const CATEGORIES: Record<string, Category> = {
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
export const REGIONS = [
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

export interface GeneratedSkill {
  input: SkillInput;
  category: string;
  verb: string;
}

const textSchema = {
  type: "object",
  properties: { text: { type: "string", maxLength: 100_000 } },
  additionalProperties: true,
};

export function skillsOf(rng: Rng): GeneratedSkill[] {
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

export function companiesOf(rng: Rng): string[] {
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

export function serviceOf(
  rng: Rng,
  i: number,
  skill: GeneratedSkill,
  company: string,
): ServiceInput {
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

export type Filters = Parameters<typeof filterOf>[1];

export interface SearchCase {
  query: string;
  filters?: Filters;
  context?: Record<string, unknown>;
}

/** 1–3 words of the generated vocabulary, a third with filters, a third with context. */
export function queriesOf(rng: Rng, skills: GeneratedSkill[], companies: string[]): SearchCase[] {
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
