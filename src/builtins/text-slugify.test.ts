import { describe, expect, it } from "vitest";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError } from "./model.ts";
import { slugify, textSlugify } from "./text-slugify.ts";

const [op = expect.unreachable()] = textSlugify.operations;
const slugOf = (text: string, max_length?: number) =>
  slugify(max_length === undefined ? { text } : { text, max_length }).slug;

describe("text.slugify", () => {
  it("lowercases, drops accents and collapses punctuation into one separator", () => {
    expect(slugOf("  Hello,   World!!  ")).toBe("hello-world");
    expect(slugOf("Ångström Über Café")).toBe("angstrom-uber-cafe");
  });

  it("transliterates letters that do not decompose", () => {
    expect(slugOf("Łódź Øresund Æsir Þing straße")).toBe("lodz-oresund-aesir-thing-strasse");
  });

  it("reads & as and and removes apostrophes inside words", () => {
    expect(slugOf("Rock & Roll isn’t dead")).toBe("rock-and-roll-isnt-dead");
  });

  it("uses the separator asked for", () => {
    expect(slugify({ text: "a b c", separator: "_" }).slug).toBe("a_b_c");
  });

  it("cuts at the last separator that fits, or inside a first word that is too long", () => {
    expect(slugOf("alpha beta gamma", 11)).toBe("alpha-beta");
    expect(slugOf("alpha beta gamma", 10)).toBe("alpha-beta");
    expect(slugOf("alpha beta gamma", 9)).toBe("alpha");
    expect(slugOf("supercalifragilistic", 5)).toBe("super");
  });

  it("answers an empty slug for text with no Latin letters or digits", () => {
    expect(slugOf("日本語 — !!")).toBe("");
  });

  it("accepts text and max_length at their limits and refuses past them", async () => {
    const text = "ab ".repeat(builtinLimits.slug_text_chars_max / 3);
    const max = builtinLimits.slug_chars_max;
    const result = (await op.run({ text, max_length: max })) as { slug: string };
    expect(result.slug.length).toBeLessThanOrEqual(max);
    expect(result.slug.length).toBeGreaterThan(max - 3);
    await expect(
      op.run({ text: "x".repeat(builtinLimits.slug_text_chars_max + 1) }),
    ).rejects.toThrow(BuiltinInputError);
    await expect(op.run({ text: "x", max_length: max + 1 })).rejects.toThrow(/max_length/);
  });
});
