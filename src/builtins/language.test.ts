import { describe, expect, it } from "vitest";
import { isStopWord, segmentsOf, sentencesOf, wordsOf } from "./language.ts";

// Longer than one window, with clusters that a careless cut would split.
const MIXED = `${"e\u0301👨‍👩‍👧 🇫🇷🇩🇪x don't 3.14 ".repeat(30)}${"word ".repeat(300)}Mr. Big. End?`;

describe("windowed segmentation", () => {
  for (const granularity of ["grapheme", "word", "sentence"] as const) {
    it(`finds the same ${granularity} segments as one ICU pass over the whole text`, () => {
      const segmenter = new Intl.Segmenter("en", { granularity });
      const whole = [...segmenter.segment(MIXED)].map((s) => [s.segment, s.isWordLike === true]);
      const windowed = [...segmentsOf(segmenter, MIXED)].map((s) => [s.segment, s.isWordLike]);
      expect(windowed).toEqual(whole);
    });
  }

  it("reads a single segment longer than a window whole", () => {
    const long = "x".repeat(5000);
    expect(wordsOf(`${long} y`)).toEqual([long, "y"]);
  });

  it("answers nothing for an empty text", () => {
    expect(wordsOf("")).toEqual([]);
    expect(sentencesOf("")).toEqual([]);
  });
});

describe("stop words", () => {
  it("treats a typographic apostrophe like a plain one", () => {
    expect(isStopWord("don’t")).toBe(true);
    expect(isStopWord("exchange")).toBe(false);
  });
});
