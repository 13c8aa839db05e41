import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_FILE, hubOpenApiDocument } from "../../src/sdk/gen/generate.ts";
import { generateOperationTypes, tsOf } from "../../src/sdk/gen/openapi-to-ts.ts";

describe("the SDK's types generated from the hub's OpenAPI document", () => {
  it("are current: regenerate with `node bin/run-ts.js src/sdk/gen/generate.ts` when this fails", async () => {
    const fresh = generateOperationTypes(await hubOpenApiDocument());
    expect(readFileSync(GENERATED_FILE, "utf8") === fresh, "src/sdk/openapi.gen.ts is stale").toBe(
      true,
    );
  });

  it("types the JSON Schema shapes TypeBox emits", () => {
    expect(tsOf({ anyOf: [{ type: "string" }, { type: "null" }] })).toBe("string | null");
    expect(tsOf({ type: "array", items: { type: "integer" } })).toBe("number[]");
    expect(tsOf({ enum: ["a", "b"] })).toBe('"a" | "b"');
    expect(tsOf({ type: "object", patternProperties: { "^(.*)$": { type: "number" } } })).toBe(
      "Record<string, number>",
    );
    expect(
      tsOf({ type: "object", required: ["a"], properties: { a: { type: "string" }, "b-c": {} } }),
    ).toBe('{\n  a: string;\n  "b-c"?: unknown;\n}');
    expect(tsOf({})).toBe("unknown");
  });
});
