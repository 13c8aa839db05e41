import type { Service, ServiceFilter } from "./model.ts";

/**
 * What SQLite search ranks and filters with besides FTS5 itself (decision 0005): the words of a
 * service as FTS5's unicode61 tokenizer sees them, kept on its search row so BM25 is computed
 * here from term statistics cached per hub (FTS5's own bm25 re-reads every query word's whole
 * doclist for its IDF on every query), and its filter values as index tokens, so a filtered
 * search is an FTS5 intersection instead of a join that runs until enough rows pass.
 */

/** The words of a text as FTS5 `unicode61 remove_diacritics 2` indexes them: folded, lower case. */
export function foldedWords(text: string): string[] {
  return (
    text
      .normalize("NFKD")
      .replace(/\p{M}+/gu, "")
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []
  );
}

/**
 * Filter tokens start with this; a query word starting with it is never expanded as a prefix
 * (it would name every filter token of the catalogue).
 */
export const FILTER_TOKEN_PREFIX = "zqf";

const token = (kind: string, value: string) =>
  `${FILTER_TOKEN_PREFIX}${kind}${Buffer.from(value, "utf8").toString("hex")}`;

/**
 * The categories a skill key belongs to: each dotted prefix (`a.b.c` is in `a` and `a.b`), as
 * the category filter's `skill_key like 'category.%'` reads it.
 */
function categoriesOf(skill_key: string): string[] {
  const parts = skill_key.split(".");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("."));
}

/** The fields of a service the token filters read. */
export interface FilterFields {
  skill_key: string;
  provider_id: string;
  region: string;
  execution_mode: string;
  tags: readonly string[];
  rails: readonly string[];
}

/**
 * A service's filter values as index tokens. Tags, rails and categories compare without case,
 * as the SQL filters' LIKE does; the other fields exactly.
 */
export function filterTokensOf(f: FilterFields): string[] {
  return [
    token("sk", f.skill_key),
    token("pr", f.provider_id),
    token("rg", f.region),
    token("em", f.execution_mode),
    ...categoriesOf(f.skill_key).map((c) => token("ca", c.toLowerCase())),
    ...f.tags.map((t) => token("tg", t.toLowerCase())),
    ...f.rails.map((r) => token("rl", r.toLowerCase())),
  ];
}

/**
 * A filter as FTS5 terms (ANDed with the words) and what stays SQL: the price range, which no
 * token can express.
 */
export function filterAsTokens(f: ServiceFilter): { terms: string[]; rest: ServiceFilter } {
  const terms = [
    f.skill_key === undefined ? null : token("sk", f.skill_key),
    f.provider_id === undefined ? null : token("pr", f.provider_id),
    f.region === undefined ? null : token("rg", f.region),
    f.execution_mode === undefined ? null : token("em", f.execution_mode),
    f.category === undefined ? null : token("ca", f.category.toLowerCase()),
    f.tag === undefined ? null : token("tg", f.tag.toLowerCase()),
    f.rail === undefined ? null : token("rl", f.rail.toLowerCase()),
  ].filter((t): t is string => t !== null);
  const rest: ServiceFilter = {
    ...(f.price_min_minor === undefined ? {} : { price_min_minor: f.price_min_minor }),
    ...(f.price_max_minor === undefined ? {} : { price_max_minor: f.price_max_minor }),
  };
  return { terms: terms.map((t) => `"${t}"`), rest };
}

/** A word a pass scores: matched as written, or (a prefix that names too many words) as a prefix. */
export interface ScoredWord {
  word: string;
  prefix: boolean;
}

/** Occurrences of `word` (or of words it starts, for a prefix) in space-separated words. */
function frequency(words: string, w: ScoredWord): number {
  let n = 0;
  for (let i = words.indexOf(w.word); i !== -1; i = words.indexOf(w.word, i + 1)) {
    if (i > 0 && words.charCodeAt(i - 1) !== 32) continue;
    const end = i + w.word.length;
    if (w.prefix || end === words.length || words.charCodeAt(end) === 32) n++;
  }
  return n;
}

/** FTS5's bm25 parameters (k1, b), so scores keep the scale relevance was tuned on. */
const K1 = 1.2;
const B = 0.75;

/**
 * BM25 as FTS5 computes it, summed over the pass's words: idf(w) × f(w)(k1 + 1) /
 * (f(w) + k1(1 − b + b × len / avg_len)), with idf = ln((N − n + ½) / (n + ½)), at least 1e-6.
 */
export function bm25(
  words: string,
  length: number,
  scored: readonly ScoredWord[],
  idf: readonly number[],
  avg_len: number,
): number {
  const norm = K1 * (1 - B + (B * length) / Math.max(avg_len, 1));
  let score = 0;
  for (const [i, w] of scored.entries()) {
    const f = frequency(words, w);
    if (f > 0) score += ((idf[i] ?? 0) * f * (K1 + 1)) / (f + norm);
  }
  return score;
}

/** idf as FTS5's bm25 takes it: ln((N − n + ½) / (n + ½)), at least 1e-6. */
export const idfOf = (docs: number, n: number) =>
  Math.max(1e-6, Math.log((docs - n + 0.5) / (n + 0.5)));

/** The narrow row search filters and ranks on (catalog_search_rows, without its index). */
export function searchRowOf(s: Service) {
  return {
    service_id: s.id,
    name: s.name,
    skill_key: s.skill_key,
    region: s.region,
    execution_mode: s.execution_mode,
    provider_id: s.provider_id,
    price_minor: s.pricing.amount_minor ?? s.pricing.minimum_minor,
    maturity: s.maturity,
    rails: JSON.stringify(s.rails),
    tags: JSON.stringify(s.tags),
  };
}

/**
 * A service's search row and FTS5 text on SQLite: the row carries its words (BM25 reads them),
 * the indexed text its words and its filter tokens.
 */
export function sqliteIndexOf(s: Service, search_text: string) {
  const words = foldedWords(search_text);
  const tokens = filterTokensOf(s);
  return {
    row: { ...searchRowOf(s), terms: words.join(" "), terms_count: words.length },
    fts_text: `${search_text} ${tokens.join(" ")}`,
  };
}
