import { type Static, Type } from "@sinclair/typebox";
import { codePointCount, countWords, graphemeCount, sentencesOf, wordsOf } from "./language.ts";
import { builtinLimits } from "./limits.ts";
import type { BuiltinSkill } from "./model.ts";
import { checkInput } from "./validate.ts";

/** Average adult silent reading speed for non-fiction (Brysbaert 2019). */
export const READING_WORDS_PER_MINUTE = 238;
const TOP_WORDS_DEFAULT = 10;

const AnalyzeInput = Type.Object(
  {
    text: Type.String({ maxLength: builtinLimits.text_chars_max }),
    top_n: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: builtinLimits.top_words_max,
        default: TOP_WORDS_DEFAULT,
        description: "How many of the most frequent words to list",
      }),
    ),
    exclude_stop_words: Type.Optional(
      Type.Boolean({ default: false, description: "Leave English stop words out of top_words" }),
    ),
  },
  { additionalProperties: false },
);

const AnalyzeOutput = Type.Object(
  {
    characters: Type.Integer({ minimum: 0, description: "Unicode code points" }),
    graphemes: Type.Integer({ minimum: 0, description: "User-perceived characters (UAX #29)" }),
    words: Type.Integer({ minimum: 0 }),
    sentences: Type.Integer({ minimum: 0 }),
    lines: Type.Integer({ minimum: 0, description: "A final line break ends the last line" }),
    average_word_length: Type.Number({
      minimum: 0,
      description: "Mean code points per word, rounded to 2 decimals",
    }),
    top_words: Type.Array(
      Type.Object(
        { word: Type.String(), count: Type.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
      { maxItems: builtinLimits.top_words_max },
    ),
    reading_time_seconds: Type.Integer({ minimum: 0, description: "At 238 words per minute" }),
  },
  { additionalProperties: false },
);

type AnalyzeInput = Static<typeof AnalyzeInput>;
type AnalyzeOutput = Static<typeof AnalyzeOutput>;

/** Counts and word frequencies of a text. */
export function analyzeText(input: AnalyzeInput): AnalyzeOutput {
  const { text } = input;
  const words = wordsOf(text);
  const letters = words.reduce((sum, word) => sum + codePointCount(word), 0);
  return {
    characters: codePointCount(text),
    graphemes: graphemeCount(text),
    words: words.length,
    sentences: sentencesOf(text).length,
    lines: lineCount(text),
    average_word_length: words.length === 0 ? 0 : Math.round((letters * 100) / words.length) / 100,
    top_words: topWords(words, input.top_n ?? TOP_WORDS_DEFAULT, input.exclude_stop_words ?? false),
    // Integer ceiling: a 1-word text still takes a moment to read.
    reading_time_seconds: Math.ceil((words.length * 60) / READING_WORDS_PER_MINUTE),
  };
}

const LINE_TERMINATOR = /\r\n|[\n\r\u2028\u2029]/g;

/** Lines as an editor shows them, except that a final line break opens no new line. */
export function lineCount(text: string): number {
  if (text === "") return 0;
  const terminators = text.match(LINE_TERMINATOR)?.length ?? 0;
  const endsWithTerminator = /[\n\r\u2028\u2029]$/.test(text);
  return endsWithTerminator ? terminators : terminators + 1;
}

/** The `n` most frequent folded words; ties go to the alphabetically first (code unit order). */
function topWords(words: readonly string[], n: number, skipStopWords: boolean) {
  return [...countWords(words, skipStopWords)]
    .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, n)
    .map(([word, count]) => ({ word, count }));
}

/** text.stats: how long a text is, in every sense a caller might mean. */
export const textStats: BuiltinSkill = {
  key: "text.stats",
  label: "Text statistics",
  description:
    "Counts characters, graphemes, words, sentences and lines of a text, with average word " +
    "length, the most frequent words and an estimated reading time.",
  tags: ["text", "statistics", "word count", "reading time", "nlp"],
  operations: [
    {
      name: "analyze",
      description: "Counts and word frequencies of a UTF-8 text of up to 100,000 characters.",
      input_schema: AnalyzeInput,
      output_schema: AnalyzeOutput,
      pricing: {
        model: "per_unit",
        unit: "character",
        amount_minor_per_unit: 1n,
        minimum_minor: 1_000n,
      },
      examples: [
        {
          input: { text: "The cat sat on the mat. The cat slept!\nThen it woke up.", top_n: 3 },
          output: {
            characters: 55,
            graphemes: 55,
            words: 13,
            sentences: 3,
            lines: 2,
            average_word_length: 3.08,
            top_words: [
              { word: "the", count: 3 },
              { word: "cat", count: 2 },
              { word: "it", count: 1 },
            ],
            reading_time_seconds: 4,
          },
        },
      ],
      run: async (input) => analyzeText(checkInput(AnalyzeInput, input)),
    },
  ],
};
