import { describe, expect, it } from "vitest";
import { jsonValidate, patternsOf, validateDocument } from "./json-validate.ts";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError } from "./model.ts";
import { hasNestedQuantifier } from "./regex-guard.ts";

const op = jsonValidate.operations[0] ?? expect.unreachable();

/** The BuiltinInputError a run rejects with. */
async function refusal(input: unknown): Promise<BuiltinInputError> {
  const error: unknown = await op.run(input).then(
    () => expect.unreachable("the run succeeded"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BuiltinInputError);
  return error as BuiltinInputError;
}

describe("json.validate", () => {
  it("accepts a document that matches and lists every error of one that does not", () => {
    const schema = { type: "array", items: { type: "integer" }, maxItems: 2 };
    expect(validateDocument({ schema, document: [1, 2] }).valid).toBe(true);
    const result = validateDocument({ schema, document: [1, "two", 3.5] });
    expect(result.valid).toBe(false);
    expect(result.errors.map((e) => [e.pointer, e.keyword])).toEqual([
      ["", "maxItems"],
      ["/1", "type"],
      ["/2", "type"],
    ]);
    expect(result.error_count).toBe(3);
  });

  it("points at a missing or unexpected property itself, escaping ~ and /", () => {
    const schema = {
      type: "object",
      required: ["a/b"],
      properties: { "a/b": true },
      additionalProperties: false,
    };
    const result = validateDocument({ schema, document: { "c~d": 1 } });
    expect(result.errors.map((e) => e.pointer)).toEqual(["/a~1b", "/c~0d"]);
  });

  it("checks formats from ajv-formats", () => {
    const schema = { type: "string", format: "date" };
    expect(validateDocument({ schema, document: "2024-02-29" }).valid).toBe(true);
    const result = validateDocument({ schema, document: "2023-02-29" });
    expect(result.errors[0]?.keyword).toBe("format");
  });

  it("understands draft 2020-12 keywords such as prefixItems and $defs", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $defs: { name: { type: "string", minLength: 1 } },
      type: "array",
      prefixItems: [{ $ref: "#/$defs/name" }, { type: "number" }],
      items: false,
    };
    expect(validateDocument({ schema, document: ["ada", 36] }).valid).toBe(true);
    expect(validateDocument({ schema, document: ["ada", 36, true] }).valid).toBe(false);
  });

  it("takes boolean schemas: true accepts everything, false nothing", () => {
    expect(validateDocument({ schema: true, document: { any: 1 } }).valid).toBe(true);
    expect(validateDocument({ schema: false, document: null }).errors[0]?.keyword).toBe(
      "false schema",
    );
  });

  it("does not let inherited properties satisfy required", () => {
    const schema = { type: "object", required: ["constructor", "toString"] };
    expect(validateDocument({ schema, document: {} }).error_count).toBe(2);
  });

  it("rejects an uncompilable schema with a clear error", async () => {
    const error = await refusal({ schema: { type: "nope" }, document: 1 });
    expect(error.detail).toMatch(/^the schema does not compile: schema is invalid: data\/type/);
    expect(error.errors?.[0]?.pointer).toBe("/schema");
  });

  it("refuses a $ref it would have to fetch instead of reaching the network", async () => {
    const error = await refusal({ schema: { $ref: "https://example.com/s.json" }, document: 1 });
    expect(error.detail).toContain("can't resolve reference https://example.com/s.json");
  });

  it("refuses other drafts and async schemas by name", async () => {
    const draft7 = { $schema: "http://json-schema.org/draft-07/schema#" };
    expect((await refusal({ schema: draft7, document: 1 })).detail).toMatch(/only draft 2020-12/);
    const async = { $async: true, type: "object" };
    expect((await refusal({ schema: async, document: {} })).detail).toMatch(/async schemas/);
  });

  it("refuses a pattern with a nested quantifier before compiling it", async () => {
    const schema = { type: "object", patternProperties: { "^(a|b+)*$": true } };
    const error = await refusal({ schema, document: {} });
    expect(error.detail).toContain("nests a repeated group inside a repeat");
  });

  it("accepts a schema at the byte limit and refuses one byte more", async () => {
    // {"description":"xxx…"} is 18 bytes of JSON around the padding.
    const padded = (bytes: number) => ({ description: "x".repeat(bytes - 18) });
    const max = builtinLimits.schema_bytes_max;
    await expect(op.run({ schema: padded(max), document: 1 })).resolves.toMatchObject({
      valid: true,
    });
    expect((await refusal({ schema: padded(max + 1), document: 1 })).detail).toBe(
      `the schema is ${max + 1} bytes, over the ${max} limit`,
    );
  });

  it("refuses a document past its byte limit", async () => {
    const document = "x".repeat(builtinLimits.document_bytes_max);
    expect((await refusal({ schema: true, document })).detail).toMatch(/^the document is/);
  });

  it("accepts nesting at the depth limits and refuses one level more", async () => {
    const nest = (depth: number): unknown => (depth === 0 ? 0 : [nest(depth - 1)]);
    const depth = builtinLimits.document_depth_max;
    await expect(op.run({ schema: true, document: nest(depth) })).resolves.toMatchObject({
      valid: true,
    });
    expect((await refusal({ schema: true, document: nest(depth + 1) })).detail).toMatch(
      /nests deeper than 128/,
    );
    const schema = (d: number): object => (d === 1 ? {} : { items: schema(d - 1) });
    const max = builtinLimits.schema_depth_max;
    await expect(op.run({ schema: schema(max), document: [] })).resolves.toBeDefined();
    expect((await refusal({ schema: schema(max + 1), document: [] })).detail).toMatch(
      /schema nests deeper/,
    );
  });

  it("lists at most 100 errors but counts them all", () => {
    const schema = { type: "array", items: { type: "string" } };
    const result = validateDocument({ schema, document: Array.from({ length: 150 }, (_, i) => i) });
    expect(result.errors).toHaveLength(builtinLimits.validation_errors_max);
    expect(result.error_count).toBe(150);
  });

  it("refuses an input without a document", async () => {
    await expect(op.run({ schema: true })).rejects.toThrow(/document/);
  });
});

describe("the regex screen", () => {
  it("flags a repeated group that itself repeats", () => {
    for (const p of ["(a+)+", "(a*)*", "^(\\w+\\s?)*$", "((ab)+c)+", "(x{2,})*", "([a-z]+)+"]) {
      expect(hasNestedQuantifier(p), p).toBe(true);
    }
  });

  it("lets single-level repetition, optional groups and escaped parentheses pass", () => {
    for (const p of ["^[a-z]+$", "(ab)+", "(a+)?", "(a+){1}", "\\(a+\\)+", "[(a+)]+", "^\\d{4}$"]) {
      expect(hasNestedQuantifier(p), p).toBe(false);
    }
  });

  it("finds patterns in nested schemas but not in data keywords", () => {
    const schema = {
      properties: { a: { pattern: "^x$" }, pattern: { type: "string" } },
      patternProperties: { "^y": {} },
      const: { pattern: "(a+)+" },
      items: [{ pattern: "^z" }],
    };
    expect(patternsOf(schema).sort()).toEqual(["^x$", "^y", "^z"]);
  });
});
