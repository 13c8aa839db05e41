import { describe, expect, it } from "vitest";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError } from "./model.ts";
import {
  contentWords,
  keywords,
  summarize,
  summaryLength,
  textSummarize,
} from "./text-summarize.ts";

const [summarizeOp = expect.unreachable()] = textSummarize.operations;

const ARTICLE = [
  "Solar panels convert sunlight into electricity.",
  "My neighbour owns a red bicycle.",
  "Modern solar panels convert more sunlight than older panels did.",
  "The electricity from solar panels can charge batteries.",
  "It rained on Tuesday.",
].join(" ");

describe("text.summarize", () => {
  it("keeps the sentences about the text's topic, in their original order", () => {
    const result = summarize({ text: ARTICLE, max_sentences: 3 });
    expect(result.sentences.map((s) => s.index)).toEqual([0, 2, 3]);
    expect(result.summary).toBe(
      "Solar panels convert sunlight into electricity. Modern solar panels convert more " +
        "sunlight than older panels did. The electricity from solar panels can charge batteries.",
    );
    expect(result.sentence_count).toBe(5);
  });

  it("prefers the earlier of two equally scored sentences", () => {
    const result = summarize({ text: "Cats purr. Cats purr. Dogs bark.", max_sentences: 1 });
    expect(result.sentences).toEqual([{ index: 0, text: "Cats purr.", score: 1.7678 }]);
  });

  it("gives the same summary for the same text every time", () => {
    expect(summarize({ text: ARTICLE })).toEqual(summarize({ text: ARTICLE }));
  });

  it("sizes the summary by ratio, max_sentences or the smaller of both", () => {
    expect(summaryLength({}, 10)).toBe(3);
    expect(summaryLength({ ratio: 0.5 }, 10)).toBe(5);
    expect(summaryLength({ ratio: 0.01 }, 10)).toBe(1);
    expect(summaryLength({ max_sentences: 4 }, 10)).toBe(4);
    expect(summaryLength({ ratio: 0.5, max_sentences: 2 }, 10)).toBe(2);
    expect(summaryLength({ max_sentences: 20 }, 10)).toBe(10);
    expect(summaryLength({ ratio: 1 }, 1000)).toBe(builtinLimits.summary_sentences_max);
    expect(summaryLength({}, 0)).toBe(0);
  });

  it("summarises an empty text to nothing", () => {
    expect(summarize({ text: "" })).toEqual({ summary: "", sentences: [], sentence_count: 0 });
  });

  it("refuses a ratio of 0 or above 1 and max_sentences past its bound", async () => {
    for (const bad of [{ ratio: 0 }, { ratio: 1.5 }, { max_sentences: 0 }, { max_sentences: 51 }]) {
      await expect(summarizeOp.run({ text: ARTICLE, ...bad })).rejects.toThrow(BuiltinInputError);
    }
  });

  it("summarises a text at the length limit", async () => {
    const sentence = "Agents trade skills for money on an open exchange. ";
    const text = sentence.repeat(Math.floor(builtinLimits.text_chars_max / sentence.length));
    const result = (await summarizeOp.run({ text, max_sentences: 50 })) as {
      sentences: unknown[];
    };
    expect(result.sentences).toHaveLength(50);
  });
});

describe("text.summarize keywords", () => {
  it("ranks content words by frequency, first appearance breaking ties", () => {
    expect(keywords({ text: ARTICLE, max_keywords: 4 }).keywords).toEqual([
      { keyword: "panels", count: 4, score: 1 },
      { keyword: "solar", count: 3, score: 0.75 },
      { keyword: "convert", count: 2, score: 0.5 },
      { keyword: "sunlight", count: 2, score: 0.5 },
    ]);
  });

  it("leaves out stop words and bare numbers but keeps words with digits", () => {
    expect(contentWords("The 42 answers to all of it are in the B2B report")).toEqual([
      "answers",
      "b2b",
      "report",
    ]);
  });

  it("answers no keywords for a text of stop words only", () => {
    expect(keywords({ text: "and the of it" }).keywords).toEqual([]);
  });
});
