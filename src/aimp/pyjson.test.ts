import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../kernel/json.ts";
import {
  PY_JSON_DEPTH_MAX,
  PyFloat,
  PyJsonError,
  parsePyJson,
  pyJsonDumps,
  pyNumberText,
  pythonFloatRepr,
} from "./index.ts";

// Each right-hand side is what CPython 3 prints for repr(x) and json.dumps(x).
const floatReprs: Array<[number, string]> = [
  [0.4, "0.4"],
  [0.97, "0.97"],
  [0.1 + 0.2, "0.30000000000000004"],
  [2.5, "2.5"],
  [123.456, "123.456"],
  [0, "0.0"],
  [-0, "-0.0"],
  [100, "100.0"],
  [8100, "8100.0"],
  [1e15, "1000000000000000.0"],
  [2 ** 53, "9007199254740992.0"],
  [1e16, "1e+16"],
  [12345678901234568, "1.2345678901234568e+16"],
  [123456789012345680, "1.2345678901234568e+17"],
  [1e21, "1e+21"],
  [1e22, "1e+22"],
  [1.7976931348623157e308, "1.7976931348623157e+308"],
  [0.0001, "0.0001"],
  [0.000123, "0.000123"],
  [1e-5, "1e-05"],
  [1.5e-7, "1.5e-07"],
  [-1.5e-10, "-1.5e-10"],
  [5e-324, "5e-324"],
];

describe("Python float and int rendering", () => {
  it.each(floatReprs)("writes %d as Python's repr %s", (x, python) => {
    expect(pythonFloatRepr(x)).toBe(python);
    expect(pyNumberText(new PyFloat(x))).toBe(python);
  });

  it("writes integral JS numbers and bigints as Python ints", () => {
    expect(pyNumberText(8100)).toBe("8100");
    expect(pyNumberText(-0)).toBe("0");
    expect(pyNumberText(123456789012345678901234567890n)).toBe("123456789012345678901234567890");
  });

  it("writes non-integral JS numbers as Python floats", () => {
    expect(pyNumberText(0.4)).toBe("0.4");
    expect(pyNumberText(1e-7)).toBe("1e-07");
  });

  it("refuses numbers whose Python spelling cannot be known or does not exist", () => {
    for (const x of [2 ** 53, -(2 ** 60), Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => pyNumberText(x)).toThrow(PyJsonError);
    }
    expect(() => new PyFloat(Number.NaN)).toThrow(PyJsonError);
  });
});

describe("Python json.dumps(sort_keys=True, ensure_ascii=False)", () => {
  const mixed = {
    b: 'é\u2028\u007f\u0001"\\',
    a: [1, new PyFloat(2), null, true],
    "\u{1F600}": 1,
    "\uffff": 2,
    c: { z: [], y: {} },
  };

  it("matches CPython byte for byte with the default separators", () => {
    expect(pyJsonDumps(mixed, "python_default")).toBe(
      '{"a": [1, 2.0, null, true], "b": "\u00e9\u2028\u007f\\u0001\\"\\\\", ' +
        '"c": {"y": {}, "z": []}, "\uffff": 2, "\ud83d\ude00": 1}',
    );
  });

  it("matches CPython byte for byte with the compact separators", () => {
    expect(pyJsonDumps(mixed, "compact")).toBe(
      '{"a":[1,2.0,null,true],"b":"\u00e9\u2028\u007f\\u0001\\"\\\\",' +
        '"c":{"y":{},"z":[]},"\uffff":2,"\ud83d\ude00":1}',
    );
  });

  it("sorts keys by code point, placing U+FFFF before an astral character", () => {
    expect(pyJsonDumps({ "\u{10000}": 1, "\uffff": 2, a: 3 }, "compact")).toBe(
      '{"a":3,"\uffff":2,"\u{10000}":1}',
    );
  });

  it("refuses values Python JSON has no twin for", () => {
    const refused: unknown[] = [
      undefined,
      { a: undefined },
      [undefined],
      new Date(0),
      new Map(),
      () => 1,
      Symbol("s"),
      "\ud800",
      { "\udc00": 1 },
      Number.NaN,
    ];
    for (const value of refused) expect(() => pyJsonDumps(value, "compact")).toThrow(PyJsonError);
  });

  it("refuses nesting deeper than the limit instead of overflowing the stack", () => {
    let deep: unknown = [];
    for (let i = 0; i <= PY_JSON_DEPTH_MAX; i++) deep = [deep];
    expect(() => pyJsonDumps(deep, "compact")).toThrow(PyJsonError);
  });
});

describe("parsePyJson", () => {
  it("keeps Python's float-ness and big ints that JSON.parse would lose", () => {
    const parsed = parsePyJson("[1e3, -0, -0.0, 123456789012345678901234567890, 1E-7, 0.5e1]");
    // CPython: json.dumps(json.loads(that text))
    expect(pyJsonDumps(parsed, "python_default")).toBe(
      "[1000.0, 0, -0.0, 123456789012345678901234567890, 1e-07, 5.0]",
    );
  });

  it.each([
    ["manifest-signed", "53fd03e979c2b4a61a91089bf3b0cb558dcf12549f0c789b4e1ae66a921bf70f"],
    ["receipt-v2-signed", "0456d6f90d814580617d3796f8df32c79f10f9116980fa77edcf1a310670f119"],
    ["well-known", "fc90307e80ee68d356bd7f1c80470e0caba26b58bf10ea2a38db1c8b52b38676"],
  ])("re-serialises the %s vector to the digest CPython computes", (file, python) => {
    const text = readFileSync(new URL(`./vectors/${file}.json.txt`, import.meta.url), "utf8");
    expect(sha256Hex(pyJsonDumps(parsePyJson(text), "python_default"))).toBe(python);
  });

  it("keeps a __proto__ key as an ordinary member", () => {
    const parsed = parsePyJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
  });

  it.each([
    "[1,]",
    "{'a': 1}",
    "NaN",
    "[Infinity]",
    '"tab\there"',
    "01",
    "1e400",
    "{} x",
    "",
    '{"a" 1}',
  ])("refuses the malformed text %j", (text) => {
    expect(() => parsePyJson(text)).toThrow(PyJsonError);
  });

  it("refuses nesting deeper than the limit", () => {
    const text = `${"[".repeat(PY_JSON_DEPTH_MAX + 2)}${"]".repeat(PY_JSON_DEPTH_MAX + 2)}`;
    expect(() => parsePyJson(text)).toThrow(PyJsonError);
  });
});
