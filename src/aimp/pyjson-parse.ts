import { PY_JSON_DEPTH_MAX, PyFloat, PyJsonError, type PyJsonValue } from "./pyjson.ts";

/**
 * Parses JSON text the way Python's `json.loads` types it, so a document signed by a Python
 * hub can be re-hashed exactly: an integral float token (`1.0`, `0.0`, `2e3`) becomes a
 * PyFloat instead of collapsing into the int spelling, and an integer beyond 2^53 becomes a
 * bigint instead of being rounded. Everything else is plain JSON.parse output.
 * Strict RFC 8259: unlike Python it refuses NaN and Infinity, which no AIMP document carries.
 * Throws PyJsonError on malformed text.
 */
export function parsePyJson(text: string): PyJsonValue {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.skipWhitespace();
  if (!parser.atEnd()) throw parser.fail("trailing characters after the JSON value");
  return value;
}

const WHITESPACE = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw controls in strings
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const LITERALS: ReadonlyArray<readonly [string, PyJsonValue]> = [
  ["true", true],
  ["false", false],
  ["null", null],
];

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos === this.text.length;
  }

  fail(message: string): PyJsonError {
    return new PyJsonError(`invalid JSON at offset ${this.pos}: ${message}`);
  }

  skipWhitespace(): void {
    this.match(WHITESPACE);
  }

  value(depth: number): PyJsonValue {
    if (depth > PY_JSON_DEPTH_MAX) throw this.fail("JSON nests too deeply");
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const [word, literal] of LITERALS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return literal;
      }
    }
    throw this.fail("expected a JSON value");
  }

  private object(depth: number): PyJsonValue {
    const out: { [key: string]: PyJsonValue } = {};
    this.pos++;
    if (this.consumeAfterWhitespace("}")) return out;
    do {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') throw this.fail("expected a string key");
      const key = this.string();
      if (!this.consumeAfterWhitespace(":")) throw this.fail("expected ':'");
      // defineProperty, not assignment: a "__proto__" key must stay an ordinary member.
      Object.defineProperty(out, key, {
        value: this.value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } while (this.consumeAfterWhitespace(","));
    if (!this.consumeAfterWhitespace("}")) throw this.fail("expected ',' or '}'");
    return out;
  }

  private array(depth: number): PyJsonValue {
    const out: PyJsonValue[] = [];
    this.pos++;
    if (this.consumeAfterWhitespace("]")) return out;
    do out.push(this.value(depth + 1));
    while (this.consumeAfterWhitespace(","));
    if (!this.consumeAfterWhitespace("]")) throw this.fail("expected ',' or ']'");
    return out;
  }

  private string(): string {
    const token = this.match(STRING);
    if (token === null) throw this.fail("malformed string");
    return JSON.parse(token) as string;
  }

  private number(): PyJsonValue {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) throw this.fail("malformed number");
    this.pos = NUMBER.lastIndex;
    const token = m[0];
    const value = Number(token);
    if (m[1] === undefined && m[2] === undefined) {
      return Number.isSafeInteger(value) ? value : BigInt(token);
    }
    if (!Number.isFinite(value)) throw this.fail("float out of range");
    return Number.isInteger(value) ? new PyFloat(value) : value;
  }

  private consumeAfterWhitespace(c: string): boolean {
    this.skipWhitespace();
    if (this.text[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private match(pattern: RegExp): string | null {
    pattern.lastIndex = this.pos;
    const m = pattern.exec(this.text);
    if (m === null) return null;
    this.pos = pattern.lastIndex;
    return m[0];
  }
}
