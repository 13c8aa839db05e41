import { type Static, Type } from "@sinclair/typebox";
import { foldWord, isStopWord, sentencesOf, wordsOf } from "./language.ts";
import { builtinLimits } from "./limits.ts";
import type { BuiltinSkill } from "./model.ts";
import { checkInput } from "./validate.ts";

const RATIO_DEFAULT = 0.3;
const KEYWORDS_DEFAULT = 10;
/** How much more the first sentence weighs than the last; leads tend to state the topic. */
const LEAD_BONUS = 0.25;

const Text = Type.String({ maxLength: builtinLimits.text_chars_max });

const SummarizeInput = Type.Object(
  {
    text: Text,
    ratio: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description: "Share of sentences to keep, rounded, at least 1, at most 50 (default 0.3)",
      }),
    ),
    max_sentences: Type.Optional(
      Type.Integer({ minimum: 1, maximum: builtinLimits.summary_sentences_max }),
    ),
  },
  { additionalProperties: false },
);

const ScoredSentence = Type.Object(
  {
    index: Type.Integer({ minimum: 0, description: "Position in the text, from 0" }),
    text: Type.String(),
    score: Type.Number({ minimum: 0, description: "Rounded to 4 decimals" }),
  },
  { additionalProperties: false },
);

const SummarizeOutput = Type.Object(
  {
    summary: Type.String(),
    sentences: Type.Array(ScoredSentence, { maxItems: builtinLimits.summary_sentences_max }),
    sentence_count: Type.Integer({ minimum: 0, description: "Sentences in the whole text" }),
  },
  { additionalProperties: false },
);

const KeywordsInput = Type.Object(
  {
    text: Text,
    max_keywords: Type.Optional(
      Type.Integer({ minimum: 1, maximum: builtinLimits.top_words_max, default: KEYWORDS_DEFAULT }),
    ),
  },
  { additionalProperties: false },
);

const KeywordsOutput = Type.Object(
  {
    keywords: Type.Array(
      Type.Object(
        {
          keyword: Type.String(),
          count: Type.Integer({ minimum: 1 }),
          score: Type.Number({ minimum: 0, maximum: 1, description: "count / top count" }),
        },
        { additionalProperties: false },
      ),
      { maxItems: builtinLimits.top_words_max },
    ),
  },
  { additionalProperties: false },
);

type SummarizeInput = Static<typeof SummarizeInput>;

const HAS_LETTER = /\p{L}/u;

/** The folded words of a text that can carry its topic: no stop words, no bare numbers. */
export function contentWords(text: string): string[] {
  return wordsOf(text)
    .map(foldWord)
    .filter((word) => HAS_LETTER.test(word) && !isStopWord(word));
}

/** Term frequencies over the whole text, keys in first-seen order. */
function termCounts(words: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

// A loop, not Math.max(...counts): a long text has more distinct words than a call has arguments.
function highestCount(counts: Iterable<number>): number {
  let highest = 1;
  for (const count of counts) if (count > highest) highest = count;
  return highest;
}

/**
 * How many sentences a summary keeps: the smallest of what `ratio` and `max_sentences` allow,
 * and never more than the 50 the output may list.
 */
export function summaryLength(input: Omit<SummarizeInput, "text">, total: number): number {
  const ratio = input.ratio ?? (input.max_sentences === undefined ? RATIO_DEFAULT : 1);
  // Rounding, not ceiling: 0.3 × 10 is 3.0000000000000004 in floating point.
  const byRatio = Math.max(1, Math.round(ratio * total));
  const allowed = input.max_sentences ?? builtinLimits.summary_sentences_max;
  return Math.min(byRatio, allowed, builtinLimits.summary_sentences_max, total);
}

/**
 * An extractive summary (after Luhn 1958): each sentence scores the normalised frequencies of
 * its content words, divided by the square root of their number so long sentences do not win
 * by length alone, times a small lead bonus; the best keep their original order.
 */
export function summarize(input: SummarizeInput): Static<typeof SummarizeOutput> {
  const sentences = sentencesOf(input.text).map((text) => ({ text, words: contentWords(text) }));
  const counts = termCounts(sentences.flatMap((s) => s.words));
  const top = highestCount(counts.values());
  const last = Math.max(1, sentences.length - 1);
  const scored = sentences.map(({ text, words }, index) => {
    const weight = words.reduce((sum, word) => sum + (counts.get(word) ?? 0) / top, 0);
    const density = words.length === 0 ? 0 : weight / Math.sqrt(words.length);
    const lead = 1 + (LEAD_BONUS * (sentences.length - 1 - index)) / last;
    return { index, text, score: density * lead };
  });
  const kept = [...scored]
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, summaryLength(input, sentences.length))
    .sort((a, b) => a.index - b.index)
    .map((s) => ({ ...s, score: Math.round(s.score * 10_000) / 10_000 }));
  return {
    summary: kept.map((s) => s.text).join(" "),
    sentences: kept,
    sentence_count: sentences.length,
  };
}

/** The most frequent content words; ties keep the order of first appearance. */
export function keywords(input: Static<typeof KeywordsInput>): Static<typeof KeywordsOutput> {
  const counts = [...termCounts(contentWords(input.text))];
  const top = highestCount(counts.map(([, count]) => count));
  const ranked = counts
    .sort(([, a], [, b]) => b - a)
    .slice(0, input.max_keywords ?? KEYWORDS_DEFAULT)
    .map(([keyword, count]) => ({
      keyword,
      count,
      score: Math.round((count / top) * 10_000) / 10_000,
    }));
  return { keywords: ranked };
}

const EXAMPLE_TEXT =
  "Agents trade skills on the exchange. Each skill has a price. Buyers pay agents in USDC " +
  "for each skill they invoke. The weather was nice yesterday. Agents with good skills earn " +
  "more on the exchange.";

/** text.summarize: extractive summaries and keywords, no model, same answer every time. */
export const textSummarize: BuiltinSkill = {
  key: "text.summarize",
  label: "Extractive summary",
  description:
    "Summarises English text by picking its most representative sentences (term frequency " +
    "and position), and extracts keywords. Deterministic, no language model.",
  tags: ["text", "summary", "summarization", "keywords", "nlp", "extractive"],
  operations: [
    {
      name: "summarize",
      description: "Keeps the top sentences by ratio or count, in their original order.",
      input_schema: SummarizeInput,
      output_schema: SummarizeOutput,
      pricing: {
        model: "per_unit",
        unit: "character",
        amount_minor_per_unit: 2n,
        minimum_minor: 1_000n,
      },
      examples: [
        {
          input: { text: EXAMPLE_TEXT, max_sentences: 2 },
          output: {
            summary:
              "Agents trade skills on the exchange. " +
              "Buyers pay agents in USDC for each skill they invoke.",
            sentences: [
              { index: 0, text: "Agents trade skills on the exchange.", score: 1.6667 },
              {
                index: 2,
                text: "Buyers pay agents in USDC for each skill they invoke.",
                score: 1.3778,
              },
            ],
            sentence_count: 5,
          },
        },
      ],
      run: async (input) => summarize(checkInput(SummarizeInput, input)),
    },
    {
      name: "keywords",
      description: "The most frequent content words, stop words and numbers left out.",
      input_schema: KeywordsInput,
      output_schema: KeywordsOutput,
      pricing: {
        model: "per_unit",
        unit: "character",
        amount_minor_per_unit: 1n,
        minimum_minor: 500n,
      },
      examples: [
        {
          input: { text: EXAMPLE_TEXT, max_keywords: 3 },
          output: {
            keywords: [
              { keyword: "agents", count: 3, score: 1 },
              { keyword: "skills", count: 2, score: 0.6667 },
              { keyword: "exchange", count: 2, score: 0.6667 },
            ],
          },
        },
      ],
      run: async (input) => keywords(checkInput(KeywordsInput, input)),
    },
  ],
};
