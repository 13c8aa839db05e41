/**
 * Text segmentation shared by the text skills. The locale is fixed ("en") rather than taken
 * from the host, so the same text segments the same way on every hub (habit: pass options).
 */
const LOCALE = "en";
const graphemeSegmenter = new Intl.Segmenter(LOCALE, { granularity: "grapheme" });
const wordSegmenter = new Intl.Segmenter(LOCALE, { granularity: "word" });
const sentenceSegmenter = new Intl.Segmenter(LOCALE, { granularity: "sentence" });

/**
 * How much text one ICU call sees. V8 copies the whole input for every step of a segment
 * iterator, so iterating a long text is quadratic; windows keep it linear (about 100 times
 * faster on 100,000 characters).
 */
const WINDOW_CHARS = 1024;

/**
 * The segments of `text`, read through windows. Each window restarts at a boundary the previous
 * one found and its last segment is read again by the next, since the cut may have ended it
 * early; a window holding a single segment is doubled until that segment is whole.
 */
export function* segmentsOf(
  segmenter: Intl.Segmenter,
  text: string,
): Generator<{ segment: string; isWordLike: boolean }> {
  let start = 0;
  let window = WINDOW_CHARS;
  while (start < text.length) {
    const end = Math.min(text.length, start + window);
    const segments = [...segmenter.segment(text.slice(start, end))];
    const final = end === text.length;
    const complete = final ? segments.length : segments.length - 1;
    if (complete <= 0) {
      window *= 2;
      continue;
    }
    for (const { segment, isWordLike } of segments.slice(0, complete)) {
      yield { segment, isWordLike: isWordLike === true };
    }
    start = final ? end : start + (segments[complete]?.index ?? end - start);
    window = WINDOW_CHARS;
  }
}

/** Unicode code points in `text` (what the skills call characters). */
export function codePointCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** User-perceived characters (extended grapheme clusters, UAX #29). */
export function graphemeCount(text: string): number {
  let count = 0;
  for (const _ of segmentsOf(graphemeSegmenter, text)) count++;
  return count;
}

/** The word-like segments of `text` (UAX #29): letters, numbers, ideographs, not punctuation. */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  for (const s of segmentsOf(wordSegmenter, text)) if (s.isWordLike) words.push(s.segment);
  return words;
}

/** A word in the form frequencies are counted in: NFC, lowercase. */
export function foldWord(word: string): string {
  return word.normalize("NFC").toLowerCase();
}

// ICU's sentence rules break after every "Mr." unless the locale's suppression data is loaded,
// which Node's ICU does not do; these are common English ones, lowercase, without the last dot.
// biome-ignore format: a word list reads better packed
const ABBREVIATIONS: ReadonlySet<string> = new Set([
  "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "fig", "inc",
  "ltd", "corp", "approx", "dept", "mt", "jan", "feb", "aug", "sept", "oct", "nov",
]);

const HAS_CONTENT = /[\p{L}\p{N}]/u;
const BREAKS_TOKEN = /[\s(]/u;
const LINE_BREAK = /[\n\r\u2028\u2029]/u;

/**
 * The sentences of `text`, trimmed, in order. Segments with no letter or digit (a blank line,
 * a lone "…") are dropped; a break right after a known abbreviation is undone.
 */
export function sentencesOf(text: string): string[] {
  const sentences: string[] = [];
  let pending = "";
  for (const { segment } of segmentsOf(sentenceSegmenter, text)) {
    pending += segment;
    if (endsWithAbbreviation(segment)) continue;
    if (HAS_CONTENT.test(pending)) sentences.push(pending.trim());
    pending = "";
  }
  if (HAS_CONTENT.test(pending)) sentences.push(pending.trim());
  return sentences;
}

// Looks at one segment only (ICU starts a segment at a word), so merging stays linear; scans
// back to the last space by hand, where a regex anchored at the end may backtrack.
function endsWithAbbreviation(text: string): boolean {
  const trimmed = text.trimEnd();
  // A line break after the dot is a hard break: a heading "Dr." stays its own line.
  if (!trimmed.endsWith(".") || LINE_BREAK.test(text.slice(trimmed.length))) return false;
  let start = trimmed.length - 1;
  while (start > 0 && !BREAKS_TOKEN.test(trimmed.charAt(start - 1))) start--;
  return ABBREVIATIONS.has(trimmed.slice(start, -1).toLowerCase());
}

/**
 * English function words that carry no topic: dropped from keyword and summary scoring, and
 * from word frequencies on request. A fixed list so results never depend on the host.
 */
// biome-ignore format: a word list reads better packed
export const STOP_WORDS: ReadonlySet<string> = new Set([
  "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
  "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
  "by", "can", "could", "did", "do", "does", "doing", "don't", "down", "during", "each", "few",
  "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
  "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "it's", "its",
  "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off",
  "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same",
  "she", "should", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs",
  "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to",
  "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
  "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
  "yourselves", "also", "may", "might", "must", "shall", "upon", "us", "yet",
]);

/** A stop word, after folding; typographic apostrophes count as plain ones. */
export function isStopWord(folded: string): boolean {
  return STOP_WORDS.has(folded.replace(/\u2019/g, "'"));
}

/** Counts folded words, keeping first-seen order so ties break the same way every time. */
export function countWords(words: readonly string[], skipStopWords: boolean): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of words) {
    const folded = foldWord(word);
    if (skipStopWords && isStopWord(folded)) continue;
    counts.set(folded, (counts.get(folded) ?? 0) + 1);
  }
  return counts;
}
