import fc from "fast-check";

/** The seed of a fuzzing run: FUZZ_SEED when set (to reproduce a failure), else a fixed one. */
export function fuzzSeed(fallback: number): number {
  const given = Number(process.env.FUZZ_SEED);
  return Number.isInteger(given) ? given : fallback;
}

/** Runs per property: FUZZ_RUNS when set, else a CI-sized default. */
export function fuzzRuns(fallback: number): number {
  const given = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(given) && given > 0 ? given : fallback;
}

/** One edit of a text: replace, insert or delete a character, truncate, or duplicate a part. */
export type Edit =
  | { op: "replace"; at: number; char: string }
  | { op: "insert"; at: number; char: string }
  | { op: "delete"; at: number }
  | { op: "truncate"; at: number }
  | { op: "duplicate"; at: number; length: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constant("replace" as const),
    at: fc.nat(),
    char: fc.string({ minLength: 1, maxLength: 1, unit: "binary" }),
  }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    char: fc.string({ minLength: 1, maxLength: 1, unit: "binary" }),
  }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat(), length: fc.nat(40) }),
);

/** 1–4 edits of a text. */
export const editsArb = fc.array(editArb, { minLength: 1, maxLength: 4 });

/** Applies edits to a text (positions wrap around its length). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    switch (e.op) {
      case "replace":
        out = out.slice(0, at) + e.char + out.slice(at + 1);
        break;
      case "insert":
        out = out.slice(0, at) + e.char + out.slice(at);
        break;
      case "delete":
        out = out.slice(0, at) + out.slice(at + 1);
        break;
      case "truncate":
        out = out.slice(0, at);
        break;
      case "duplicate":
        out = out.slice(0, at) + out.slice(at, at + e.length) + out.slice(at);
        break;
    }
  }
  return out;
}

/** Base64url text, some of it JSON, some not: what a parser of tokens and headers must survive. */
export const tokenPartArb = fc.oneof(
  fc.base64String({ maxLength: 80 }).map((s) => s.replace(/\+/g, "-").replace(/\//g, "_")),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v)).toString("base64url")),
  fc
    .dictionary(fc.constantFrom("alg", "typ", "kid", "jwk", "crit", "b64", "x5u"), fc.jsonValue())
    .map((v) => Buffer.from(JSON.stringify(v)).toString("base64url")),
  fc.string({ maxLength: 40 }),
);

/** Compact-JWS-shaped text: two or three dot-joined parts, or anything. */
export const compactArb = fc.oneof(
  fc.tuple(tokenPartArb, tokenPartArb, tokenPartArb).map((p) => p.join(".")),
  fc.tuple(tokenPartArb, tokenPartArb).map((p) => p.join(".")),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom("", ".", "..", "...", "a.b.c.d", "\u0000.\u0000.\u0000"),
);
