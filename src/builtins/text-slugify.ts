import { type Static, Type } from "@sinclair/typebox";
import { builtinLimits } from "./limits.ts";
import type { BuiltinSkill } from "./model.ts";
import { checkInput } from "./validate.ts";

const SLUG_CHARS_DEFAULT = 80;

const SlugifyInput = Type.Object(
  {
    text: Type.String({ maxLength: builtinLimits.slug_text_chars_max }),
    separator: Type.Optional(
      Type.Unsafe<"-" | "_">({ type: "string", enum: ["-", "_"], default: "-" }),
    ),
    max_length: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: builtinLimits.slug_chars_max,
        default: SLUG_CHARS_DEFAULT,
      }),
    ),
  },
  { additionalProperties: false },
);

const SlugifyOutput = Type.Object(
  {
    slug: Type.String({
      maxLength: builtinLimits.slug_chars_max,
      pattern: "^([a-z0-9]+([-_][a-z0-9]+)*)?$",
      description: "Lowercase ASCII letters and digits joined by the separator; may be empty",
    }),
  },
  { additionalProperties: false },
);

// Latin letters that NFKD leaves whole, spelled the way English transliterates them.
// biome-ignore format: a table reads better packed
const LETTERS: Readonly<Record<string, string>> = {
  ß: "ss", æ: "ae", Æ: "ae", œ: "oe", Œ: "oe", ø: "o", Ø: "o", đ: "d", Đ: "d", ł: "l", Ł: "l",
  þ: "th", Þ: "th", ð: "d", Ð: "d", ı: "i",
};
const SPECIAL_LETTER = /[ßæÆœŒøØđĐłŁþÞðÐı]/g;
const COMBINING_MARK = /\p{M}/gu;
const APOSTROPHE = /['\u2019]/g;
const NOT_ALPHANUMERIC = /[^a-z0-9]+/g;

/**
 * A URL slug: accents dropped (é → e), a few letters transliterated (ß → ss), "&" read as
 * "and", apostrophes removed ("don't" → "dont"), anything else not a-z or 0-9 becomes one
 * separator. Longer slugs are cut at the last separator that fits, so no word is split unless
 * the first word alone is too long. Scripts with no Latin spelling drop out.
 */
export function slugify(input: Static<typeof SlugifyInput>): Static<typeof SlugifyOutput> {
  const separator = input.separator ?? "-";
  const max = input.max_length ?? SLUG_CHARS_DEFAULT;
  const words = input.text
    .normalize("NFKD")
    .replace(COMBINING_MARK, "")
    .replace(SPECIAL_LETTER, (letter) => LETTERS[letter] ?? "")
    .replace(/&/g, " and ")
    .replace(APOSTROPHE, "")
    .toLowerCase()
    .split(NOT_ALPHANUMERIC)
    .filter((word) => word !== "");
  let slug = "";
  for (const word of words) {
    const next = slug === "" ? word : `${slug}${separator}${word}`;
    if (next.length > max) return { slug: slug === "" ? word.slice(0, max) : slug };
    slug = next;
  }
  return { slug };
}

/** text.slugify: readable, URL-safe identifiers from titles. */
export const textSlugify: BuiltinSkill = {
  key: "text.slugify",
  label: "Slugify",
  description:
    "Turns a title into a lowercase, URL-safe slug: accents removed, punctuation collapsed " +
    "into one separator, cut at a word boundary.",
  tags: ["text", "slug", "url", "seo", "identifier"],
  operations: [
    {
      name: "slugify",
      description: "A slug of up to 200 characters from up to 2,000 characters of text.",
      input_schema: SlugifyInput,
      output_schema: SlugifyOutput,
      pricing: { model: "fixed", amount_minor: 50n },
      examples: [
        {
          input: { text: "Crème Brûlée & Straße: don't panic!" },
          output: { slug: "creme-brulee-and-strasse-dont-panic" },
        },
        {
          input: { text: "Agents, Skills and Receipts", separator: "_", max_length: 16 },
          output: { slug: "agents_skills" },
        },
      ],
      run: async (input) => slugify(checkInput(SlugifyInput, input)),
    },
  ],
};
