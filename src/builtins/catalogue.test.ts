import { describe, expect, it } from "vitest";
import { BuiltinInputError, builtinSkills, findBuiltin } from "./index.ts";
import { newAjv2020 } from "./validate.ts";

// A validator of our own in the test, so the check does not lean on the code under test's cache.
const ajv = newAjv2020({ strict: true });

const operations = builtinSkills.flatMap((skill) =>
  skill.operations.map((operation) => ({ skill, operation })),
);

describe("the built-in catalogue", () => {
  it("has unique skill keys and unique operation names within each skill", () => {
    const keys = builtinSkills.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const skill of builtinSkills) {
      const names = skill.operations.map((o) => o.name);
      expect(new Set(names).size, skill.key).toBe(names.length);
    }
  });

  it("names skills as dotted lowercase keys and operations in snake case", () => {
    for (const { skill, operation } of operations) {
      expect(skill.key).toMatch(/^[a-z]+(\.[a-z]+(-[a-z]+)*)+$/);
      expect(operation.name).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });

  it("describes each skill in one to three sentences with at least one tag", () => {
    for (const skill of builtinSkills) {
      const sentences = skill.description.split(/[.!?](\s|$)/).filter((s) => s.trim() !== "");
      expect(sentences.length, skill.key).toBeGreaterThanOrEqual(1);
      expect(sentences.length, skill.key).toBeLessThanOrEqual(3);
      expect(skill.tags.length, skill.key).toBeGreaterThan(0);
    }
  });

  it("ships schemas that are valid draft 2020-12 and closed to unknown input fields", () => {
    for (const { skill, operation } of operations) {
      const where = `${skill.key}.${operation.name}`;
      expect(ajv.validateSchema(operation.input_schema), where).toBe(true);
      expect(ajv.validateSchema(operation.output_schema), where).toBe(true);
      expect(operation.input_schema.type, where).toBe("object");
      expect(operation.input_schema.additionalProperties, where).toBe(false);
    }
  });

  it("gives every operation at least one example", () => {
    for (const { skill, operation } of operations) {
      expect(operation.examples.length, `${skill.key}.${operation.name}`).toBeGreaterThan(0);
    }
  });

  it("prices in non-negative minor units with a minimum for per-unit pricing", () => {
    for (const { operation } of operations) {
      const p = operation.pricing;
      if (p.model === "fixed") expect(p.amount_minor >= 0n).toBe(true);
      else expect(p.amount_minor_per_unit > 0n && p.minimum_minor > 0n).toBe(true);
    }
  });
});

describe("every example", () => {
  for (const { skill, operation } of operations) {
    operation.examples.forEach((example, i) => {
      const where = `${skill.key}.${operation.name} example ${i}`;

      it(`${where} is what run returns, and both sides match their schemas`, async () => {
        expect(ajv.validate(operation.input_schema, example.input), where).toBe(true);
        expect(ajv.validate(operation.output_schema, example.output), where).toBe(true);
        expect(await operation.run(example.input)).toEqual(example.output);
      });
    });
  }
});

describe("every operation", () => {
  for (const { skill, operation } of operations) {
    const where = `${skill.key}.${operation.name}`;

    it(`${where} refuses unknown fields and non-objects as input errors`, async () => {
      const example = operation.examples[0]?.input as Record<string, unknown>;
      await expect(operation.run({ ...example, surprise: 1 })).rejects.toThrow(BuiltinInputError);
      await expect(operation.run("text")).rejects.toThrow(BuiltinInputError);
      await expect(operation.run(null)).rejects.toThrow(BuiltinInputError);
    });
  }

  // Inputs at the edges, beyond the examples: outputs must still match the declared schemas.
  const edgeInputs: Record<string, unknown[]> = {
    "text.stats.analyze": [{ text: "" }, { text: "Ünïcödé 👍🏽 text.\r\nTwo lines.", top_n: 50 }],
    "text.summarize.summarize": [{ text: "" }, { text: "One. Two. ".repeat(200), ratio: 1 }],
    "text.summarize.keywords": [{ text: "" }, { text: "w ".repeat(100), max_keywords: 50 }],
    "text.slugify.slugify": [{ text: "" }, { text: "-_- ___ ---" }],
    "json.validate.validate": [{ schema: false, document: [1, 2, 3] }],
    "hash.digest.digest": [{ algorithm: "blake2b512", data: "", output: "base64" }],
    "hash.digest.hmac": [{ algorithm: "sha3-256", key: "AA==", key_encoding: "base64", data: "" }],
    "units.convert.convert": [{ value: "-1e-100", from: "PiB", to: "bit" }],
    "units.convert.convert_batch": [{ items: [{ value: 0, from: "K", to: "F" }] }],
  };

  for (const { skill, operation } of operations) {
    const where = `${skill.key}.${operation.name}`;

    it(`${where} returns outputs matching its output schema at the edges`, async () => {
      const inputs = edgeInputs[where] ?? expect.unreachable(`no edge inputs for ${where}`);
      for (const input of inputs) {
        const output = await operation.run(input);
        expect(ajv.validate(operation.output_schema, output), JSON.stringify(ajv.errors)).toBe(
          true,
        );
      }
    });
  }
});

describe("findBuiltin", () => {
  it("finds a skill's operation by key and name", () => {
    const match = findBuiltin("hash.digest", "hmac");
    expect(match?.skill.key).toBe("hash.digest");
    expect(match?.operation.name).toBe("hmac");
  });

  it("answers null for an unknown key or operation", () => {
    expect(findBuiltin("hash.digest", "crack")).toBeNull();
    expect(findBuiltin("hash.crack", "digest")).toBeNull();
    expect(findBuiltin("constructor", "name")).toBeNull();
  });
});
