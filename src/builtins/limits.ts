/**
 * Bounds of the built-in skills, units in the names. Every input field is bounded so one call
 * is bounded work; together they keep an input well under the HTTP body limit (1 MiB).
 * Candidates for kernel/limits.ts once the lead moves them there.
 */
export const builtinLimits = {
  /**
   * Deepest nesting of any input (a scalar is depth 0), refused before anything else looks at
   * it: canonical JSON, used for pricing and size checks, recurses once per level.
   */
  input_depth_max: 256,

  /** Longest text the text skills read, in code points (what JSON Schema `maxLength` counts). */
  text_chars_max: 100_000,
  /** Most entries of a word-frequency or keyword list. */
  top_words_max: 50,
  /** Most sentences a summary may ask for. */
  summary_sentences_max: 50,

  /** Largest JSON Schema json.validate compiles, as UTF-8 bytes of its canonical JSON. */
  schema_bytes_max: 65_536,
  /** Largest document json.validate checks, as UTF-8 bytes of its canonical JSON. */
  document_bytes_max: 262_144,
  /** Deepest nesting of a schema; deeper schemas make Ajv generate deeply nested code. */
  schema_depth_max: 32,
  /** Deepest nesting of a document. */
  document_depth_max: 128,
  /** Longest `pattern` or `patternProperties` key in a schema, in characters. */
  schema_pattern_chars_max: 512,
  /** Most validation errors json.validate reports; the rest are counted, not listed. */
  validation_errors_max: 100,

  /** Most bytes hash.digest hashes, after decoding (256 KiB). */
  hash_input_bytes_max: 262_144,
  /** Longest `data` text hash.digest reads: the base64 spelling of 256 KiB. */
  hash_data_chars_max: 349_528,
  /** Longest HMAC key, in characters of its encoding. */
  hmac_key_chars_max: 1_024,

  /** Longest decimal string units.convert reads. */
  decimal_chars_max: 64,
  /** Largest decimal exponent units.convert reads (`1e100`); keeps bigints small. */
  decimal_exponent_max: 100,
  /** Significant fractional digits units.convert keeps when a result does not terminate. */
  fraction_digits_significant: 12,
  /** Most conversions in one convert_batch call. */
  conversions_per_batch_max: 100,

  /** Longest text text.slugify reads, and longest slug it returns. */
  slug_text_chars_max: 2_000,
  slug_chars_max: 200,
} as const;
