/**
 * Python-compatible JSON text: byte for byte what CPython's
 * `json.dumps(value, sort_keys=True, ensure_ascii=False[, separators=(",", ":")])` writes,
 * because AIMP digests are SHA-256 over exactly that text (spec §7.3.1), and Python `str()` of
 * a number, because the canonical strings interpolate numbers with f-strings.
 *
 * Numbers are where JavaScript and Python part ways. JSON.parse turns both `1` (a Python int)
 * and `1.0` (a Python float) into the JS number 1, and Python prints the two differently. Our
 * decisions, in order:
 * - A `PyFloat` renders as a Python float (`1.0`). `parsePyJson` produces one for every
 *   integral float token, so text parsed with it hashes exactly as Python would hash it.
 * - An integral JS number renders as a Python int (`1`). That is what a Python peer reads back
 *   from JSON we emit with JSON.stringify, so what we sign verifies there.
 * - A non-integral JS number renders as Python's float repr. Both languages print the shortest
 *   digits that round-trip (ECMAScript Number::toString and CPython's repr pick the same
 *   digits), so only the layout differs and we rewrite it: Python switches to an exponent
 *   below 1e-4 and from 1e16 and writes at least two exponent digits (`1e-05`, `1e+16`).
 * - An integral number of magnitude 2^53 or more is refused: it may have been a Python int
 *   that JSON.parse already rounded, or a float, and we cannot tell which text was signed.
 * - NaN and ±Infinity are refused (Python would write `NaN`, which is not JSON).
 * - A bigint renders as a Python int; `parsePyJson` yields one for integers beyond 2^53.
 * - Strings with a lone surrogate are refused: Python cannot encode them to UTF-8 to hash.
 * - `undefined`, functions, symbols, class instances (Date, Map …) and nesting deeper than
 *   `PY_JSON_DEPTH_MAX` are refused rather than guessed at.
 */

/** A JSON number Python holds as a float although its value is integral (text `1.0`, `2e3`). */
export class PyFloat {
  readonly value: number;

  constructor(value: number) {
    if (!Number.isFinite(value)) throw new PyJsonError("a Python JSON float must be finite");
    this.value = value;
  }

  /** JSON.stringify writes the bare number; only pyJsonDumps keeps the float spelling. */
  toJSON(): number {
    return this.value;
  }
}

/** A JSON number as Python sees it: int (number, bigint) or float (number, PyFloat). */
export type PyNumber = number | bigint | PyFloat;

/** A JSON value that pyJsonDumps can render exactly as Python would. */
export type PyJsonValue =
  | null
  | boolean
  | string
  | PyNumber
  | PyJsonValue[]
  | { [key: string]: PyJsonValue };

/** A JSON object of PyJsonValues. */
export type PyJsonObject = { [key: string]: PyJsonValue };

/** Thrown for a value that has no Python JSON rendering we can reproduce byte for byte. */
export class PyJsonError extends Error {
  override name = "PyJsonError";
}

/** Python's default separators (`", "`, `": "`) or the compact ones (`","`, `":"`). */
export type PySeparators = "python_default" | "compact";

const SEPARATORS: Record<PySeparators, { item: string; key: string }> = {
  python_default: { item: ", ", key: ": " },
  compact: { item: ",", key: ":" },
};

/** Deeper nesting than any AIMP document needs; CPython itself stops near 1000. */
export const PY_JSON_DEPTH_MAX = 100;

/** `json.dumps(value, sort_keys=True, ensure_ascii=False, separators=…)`; throws PyJsonError. */
export function pyJsonDumps(value: unknown, separators: PySeparators): string {
  return render(value, SEPARATORS[separators], 0);
}

function render(value: unknown, sep: { item: string; key: string }, depth: number): string {
  if (depth > PY_JSON_DEPTH_MAX) throw new PyJsonError("JSON nests too deeply");
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return pyString(value);
  if (typeof value === "number" || typeof value === "bigint" || value instanceof PyFloat) {
    return pyNumberText(value);
  }
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) parts.push(render(value[i], sep, depth + 1));
    return `[${parts.join(sep.item)}]`;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort(compareCodePoints);
    const parts = keys.map((k) => `${pyString(k)}${sep.key}${render(value[k], sep, depth + 1)}`);
    return `{${parts.join(sep.item)}}`;
  }
  throw new PyJsonError(`cannot render ${describe(value)} as Python JSON`);
}

/** Python `str()` of a JSON number, as an f-string interpolates it; throws PyJsonError. */
export function pyNumberText(value: PyNumber): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (!Number.isFinite(value)) throw new PyJsonError("NaN and Infinity have no JSON form");
  if (!Number.isInteger(value)) return pythonFloatRepr(value);
  if (!Number.isSafeInteger(value)) {
    throw new PyJsonError(`${value} is beyond 2^53: int or float spelling cannot be known`);
  }
  // String(-0) is "0", which is also what Python prints for the int JSON.parse saw as -0.
  return String(value);
}

/** CPython `repr(float)`: shortest round-trip digits, Python's layout. */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x)) throw new PyJsonError("NaN and Infinity have no JSON form");
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const { digits, point } = shortestDigits(Math.abs(x));
  // CPython float_repr_style "short", mode 'r': exponent form when point <= -4 or point > 16.
  if (point <= -4 || point > 16) {
    const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const exponent = point - 1;
    const magnitude = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${magnitude}`;
  }
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * The shortest round-trip digits of a positive finite number, taken from Number::toString
 * (whose digit choice the ECMAScript spec pins down), as value = 0.digits × 10^point.
 */
function shortestDigits(x: number): { digits: string; point: number } {
  const [mantissa = "", exponent = "0"] = String(x).split("e");
  const [whole = "", fraction = ""] = mantissa.split(".");
  const all = whole + fraction;
  const leadingZeros = all.length - all.replace(/^0+/, "").length;
  const digits = all.slice(leadingZeros).replace(/0+$/, "");
  return { digits, point: whole.length + Number(exponent) - leadingZeros };
}

/**
 * Python's ensure_ascii=False string escaping. For well-formed strings JSON.stringify writes
 * the same bytes: `\"`, `\\`, `\b \f \n \r \t`, other controls as lowercase `\u00xx`, and
 * everything else (DEL, U+2028, non-ASCII) as itself.
 */
function pyString(s: string): string {
  if (/\p{Cs}/u.test(s)) throw new PyJsonError("a string holds a lone UTF-16 surrogate");
  return JSON.stringify(s);
}

/**
 * Python sorts keys by code point; JS sorts by UTF-16 unit, which differs once a surrogate
 * (a character above U+FFFF) meets a character in U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return typeof value;
}
