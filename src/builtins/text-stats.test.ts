import { describe, expect, it } from "vitest";
import { sentencesOf } from "./language.ts";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError } from "./model.ts";
import { analyzeText, lineCount, textStats } from "./text-stats.ts";

const analyze = textStats.operations[0] ?? expect.unreachable();

describe("text.stats", () => {
  it("counts 2 sentences and 2 words in 'Hi. Bye.'", () => {
    const stats = analyzeText({ text: "Hi. Bye." });
    expect(stats.sentences).toBe(2);
    expect(stats.words).toBe(2);
    expect(stats.average_word_length).toBe(2.5);
  });

  it("counts code points and graphemes apart: a skin-toned emoji is 2 and 1", () => {
    const stats = analyzeText({ text: "👍🏽e\u0301" });
    expect(stats.characters).toBe(4);
    expect(stats.graphemes).toBe(2);
  });

  it("answers zeros for an empty text", () => {
    expect(analyzeText({ text: "" })).toEqual({
      characters: 0,
      graphemes: 0,
      words: 0,
      sentences: 0,
      lines: 0,
      average_word_length: 0,
      top_words: [],
      reading_time_seconds: 0,
    });
  });

  it("counts lines with any line terminator, a final one opening no new line", () => {
    expect(lineCount("a")).toBe(1);
    expect(lineCount("a\n")).toBe(1);
    expect(lineCount("a\nb")).toBe(2);
    expect(lineCount("a\r\nb\rc\u2028d")).toBe(4);
    expect(lineCount("\n\n")).toBe(2);
  });

  it("folds case for word frequencies and breaks ties alphabetically", () => {
    const stats = analyzeText({ text: "Zeta alpha ALPHA zeta Beta", top_n: 3 });
    expect(stats.top_words).toEqual([
      { word: "alpha", count: 2 },
      { word: "zeta", count: 2 },
      { word: "beta", count: 1 },
    ]);
  });

  it("leaves stop words out of the frequencies only when asked", () => {
    const text = "The cat and the dog and the bird.";
    expect(analyzeText({ text, top_n: 1 }).top_words).toEqual([{ word: "the", count: 3 }]);
    const content = analyzeText({ text, top_n: 5, exclude_stop_words: true });
    expect(content.top_words.map((w) => w.word)).toEqual(["bird", "cat", "dog"]);
    expect(content.words).toBe(8);
  });

  it("lists no words when top_n is 0", () => {
    expect(analyzeText({ text: "one two", top_n: 0 }).top_words).toEqual([]);
  });

  it("estimates reading time at 238 words per minute, rounded up to the second", () => {
    const words = (n: number) => Array.from({ length: n }, () => "word").join(" ");
    expect(analyzeText({ text: words(238) }).reading_time_seconds).toBe(60);
    expect(analyzeText({ text: words(239) }).reading_time_seconds).toBe(61);
    expect(analyzeText({ text: words(1) }).reading_time_seconds).toBe(1);
  });

  it("counts punctuation and numbers the way Unicode word breaking does", () => {
    const stats = analyzeText({ text: "Don't stop — it's 3.14, e-mail me!" });
    expect(stats.words).toBe(7);
  });

  it("keeps common abbreviations inside their sentence", () => {
    expect(sentencesOf("Mr. Smith met Dr. Jones. They talked.")).toEqual([
      "Mr. Smith met Dr. Jones.",
      "They talked.",
    ]);
    expect(sentencesOf("Dr.\nSmith")).toEqual(["Dr.", "Smith"]);
    expect(sentencesOf("…\n\nWait! What?  ")).toEqual(["Wait!", "What?"]);
  });

  it("accepts a text at the length limit and refuses one past it", async () => {
    const max = builtinLimits.text_chars_max;
    const atLimit = (await analyze.run({ text: "a ".repeat(max / 2) })) as { words: number };
    expect(atLimit.words).toBe(max / 2);
    await expect(analyze.run({ text: "a".repeat(max + 1) })).rejects.toThrow(BuiltinInputError);
  });

  it("refuses top_n past its bound and a text that is not a string", async () => {
    const tooMany = analyze.run({ text: "x", top_n: builtinLimits.top_words_max + 1 });
    await expect(tooMany).rejects.toThrow(/top_n/);
    await expect(analyze.run({ text: 42 })).rejects.toThrow(BuiltinInputError);
  });
});
