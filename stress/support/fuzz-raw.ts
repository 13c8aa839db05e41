import { connect } from "node:net";
import fc from "fast-check";
import { contractBreach, type FuzzAnswer } from "./fuzz-run.ts";

/** One raw HTTP/1.1 exchange: bytes out, whatever comes back (or nothing, when the hub hangs up). */
export interface RawCase {
  name: string;
  bytes: Buffer;
}

/** What the socket gave back: a parsed answer, or that the hub closed without one. */
export type RawAnswer = { answer: FuzzAnswer } | { closed: true } | { timeout: true };

const CRLF = "\r\n";

/** A request head plus body, with Content-Length computed unless given. */
export function rawRequest(
  method: string,
  target: string,
  headers: Record<string, string>,
  body: Buffer | string = "",
  options: { contentLength?: string | null } = {},
): Buffer {
  const b = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const lines = [`${method} ${target} HTTP/1.1`, "host: 127.0.0.1"];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  const length = options.contentLength === undefined ? String(b.length) : options.contentLength;
  if (length !== null && (b.length > 0 || options.contentLength !== undefined)) {
    lines.push(`content-length: ${length}`);
  }
  lines.push("connection: close");
  return Buffer.concat([Buffer.from(lines.join(CRLF) + CRLF + CRLF, "latin1"), b]);
}

/** Sends bytes on a fresh connection and reads until the hub closes it (or `timeout_ms`). */
export function sendRaw(port: number, bytes: Buffer, timeout_ms = 5_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(chunks.length ? parseRaw(Buffer.concat(chunks)) : { timeout: true });
    }, timeout_ms);
    // Half-closing at once would make Node drop answers still being prepared; the hub closes
    // after answering (connection: close). A request still waiting for bytes gets an end later.
    socket.on("connect", () => {
      socket.write(bytes);
      setTimeout(() => socket.end(), Math.min(1_500, timeout_ms / 2)).unref();
    });
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(chunks.length ? parseRaw(Buffer.concat(chunks)) : { closed: true });
    });
  });
}

/** The first response of a raw HTTP/1.1 byte stream (chunked bodies joined). */
export function parseRaw(data: Buffer): RawAnswer {
  const text = data.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, unknown> = {};
  for (const line of headerLines) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = end < 0 ? Buffer.alloc(0) : data.subarray(end + 4);
  if (String(headers["transfer-encoding"]).includes("chunked")) body = dechunk(body);
  else if (headers["content-length"] !== undefined) {
    // Bytes past the length belong to the next answer: a mutated request whose body outgrew its
    // content-length is read by the server as two pipelined requests, each answered on its own.
    body = body.subarray(0, Number(headers["content-length"]));
  }
  return { answer: { status, headers, body: body.toString() } };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Why a raw answer breaks the contract (null when it keeps it). Hanging up is allowed. */
export function rawBreach(result: RawAnswer): string | null {
  if ("closed" in result) return null;
  if ("timeout" in result) return "no answer and no close within the timeout";
  return contractBreach(result.answer);
}

/** The fixed catalogue of hostile requests that app.inject cannot express. */
export function rawCases(keys: { write: string }): RawCase[] {
  const auth = { authorization: `Bearer ${keys.write}` };
  const json = { "content-type": "application/json", ...auth };
  const reg = "/api/agents/register";
  const cases: [string, Buffer][] = [
    [
      "invalid UTF-8 in a JSON string",
      rawRequest("POST", reg, json, bytes('{"handle":"a\xff\xfeb"}')),
    ],
    [
      "invalid UTF-8 as the whole body",
      rawRequest("POST", "/api/v1/keys", json, bytes("\xc3\x28\xa0\xa1")),
    ],
    ["overlong UTF-8 NUL", rawRequest("POST", "/api/v1/keys", json, bytes('{"label":"\xc0\x80"}'))],
    [
      "UTF-16 body labelled UTF-8",
      rawRequest("POST", "/api/v1/keys", json, Buffer.from('{"scope":"read"}', "utf16le")),
    ],
    [
      "raw 0xff bytes in the path",
      rawRequest("GET", bytes("/api/v1/machines/\xff\xfe").toString("latin1"), auth),
    ],
    [
      "percent-encoded invalid UTF-8 in the path",
      rawRequest("GET", "/api/v1/machines/%ff%fe%fd", auth),
    ],
    ["undecodable percent escape", rawRequest("GET", "/api/v1/webhooks/%E0%A4%A", auth)],
    ["over-long path segment", rawRequest("GET", `/api/v1/machines/${"m".repeat(5000)}`, auth)],
    ["path traversal, plain", rawRequest("GET", "/../../../../etc/passwd", {})],
    ["path traversal, encoded", rawRequest("GET", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", {})],
    [
      "path traversal into the API",
      rawRequest("GET", "/problems/..%2f..%2fapi%2fv1%2fadmin%2fledger%2fverify", auth),
    ],
    ["double slashes", rawRequest("GET", "//api//v1//me", auth)],
    ["absolute-form target", rawRequest("GET", "http://evil.example/api/v1/me", auth)],
    ["asterisk-form OPTIONS", rawRequest("OPTIONS", "*", {})],
    [
      "header injection: bare LF in a value",
      rawRequest("GET", "/api/v1/me", { "x-a": "1\nx-injected: yes", ...auth }),
    ],
    [
      "header injection: bare CR in a value",
      rawRequest("GET", "/api/v1/me", { "x-a": "1\rx-injected: yes", ...auth }),
    ],
    ["NUL in a header value", rawRequest("GET", "/api/v1/me", { "x-a": "1\u0000", ...auth })],
    [
      "NUL in the authorization header",
      rawRequest("GET", "/api/v1/me", { authorization: `Bearer ${keys.write}\u0000` }),
    ],
    [
      "two authorization headers",
      rawRequest("GET", "/api/v1/me", {
        authorization: `Bearer ${keys.write}`,
        Authorization: "Bearer sk_agx_other",
      }),
    ],
    [
      "two content types",
      rawRequest(
        "POST",
        "/api/v1/keys",
        { ...json, "Content-Type": "text/plain" },
        '{"scope":"read"}',
      ),
    ],
    [
      "an 8 KiB authorization header",
      rawRequest("GET", "/api/v1/me", { authorization: `Bearer ${"a".repeat(8192)}` }),
    ],
    ["64 KiB of headers", rawRequest("GET", "/api/v1/me", { "x-big": "b".repeat(65_536) })],
    [
      "Content-Length shorter than the body",
      rawRequest("POST", "/api/v1/keys", json, '{"scope":"read"}GARBAGE', { contentLength: "16" }),
    ],
    [
      "Content-Length longer than the body",
      rawRequest("POST", "/api/v1/keys", json, '{"scope":"read"}', { contentLength: "400" }),
    ],
    [
      "negative Content-Length",
      rawRequest("POST", "/api/v1/keys", json, '{"scope":"read"}', { contentLength: "-1" }),
    ],
    [
      "non-numeric Content-Length",
      rawRequest("POST", "/api/v1/keys", json, '{"scope":"read"}', { contentLength: "ten" }),
    ],
    [
      "huge Content-Length",
      rawRequest("POST", "/api/v1/keys", json, '{"scope":"read"}', {
        contentLength: "99999999999999999999",
      }),
    ],
    [
      "two Content-Lengths",
      rawRequest("POST", "/api/v1/keys", { ...json, "content-length": "3" }, '{"scope":"read"}'),
    ],
    [
      "Content-Length with Transfer-Encoding",
      rawRequest(
        "POST",
        "/api/v1/keys",
        { ...json, "transfer-encoding": "chunked" },
        '10\r\n{"scope":"read"}\r\n0\r\n\r\n',
      ),
    ],
    [
      "bad chunk size",
      rawRequest(
        "POST",
        "/api/v1/keys",
        { ...json, "transfer-encoding": "chunked" },
        "zz\r\n{}\r\n0\r\n\r\n",
        { contentLength: null },
      ),
    ],
    [
      "oversized body (2 MiB)",
      rawRequest("POST", "/api/v1/keys", json, `{"label":"${"x".repeat(2 * 1_048_576)}"}`),
    ],
    [
      "oversized chunked body",
      rawRequest(
        "POST",
        "/api/v1/keys",
        { ...json, "transfer-encoding": "chunked" },
        chunked("x".repeat(1_200_000)),
        { contentLength: null },
      ),
    ],
    [
      "deep JSON nesting",
      rawRequest("POST", "/api/v1/keys", json, `${"[".repeat(100_000)}${"]".repeat(100_000)}`),
    ],
    [
      "deep JSON object nesting",
      rawRequest(
        "POST",
        "/api/v1/market/search",
        json,
        `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`,
      ),
    ],
    ["huge number", rawRequest("POST", "/api/v1/keys", json, '{"scope":"read","label":1e99999}')],
    [
      "huge number in a free-form field",
      rawRequest(
        "POST",
        "/capabilities/builtin-text-stats-analyze/analyze@v1/invoke",
        { ...json, "idempotency-key": "k1" },
        '{"input":{"n":1e999}}',
      ),
    ],
    [
      "huge integer literal",
      rawRequest("POST", "/api/v1/admin/deposits", json, `{"amount":${"9".repeat(5000)}}`),
    ],
    [
      "text/plain JSON",
      rawRequest(
        "POST",
        "/api/v1/keys",
        { ...auth, "content-type": "text/plain" },
        '{"scope":"read"}',
      ),
    ],
    [
      "form-encoded body",
      rawRequest(
        "POST",
        "/api/v1/keys",
        { ...auth, "content-type": "application/x-www-form-urlencoded" },
        "scope=read",
      ),
    ],
    [
      "multipart body",
      rawRequest(
        "POST",
        "/api/v1/keys",
        { ...auth, "content-type": "multipart/form-data; boundary=x" },
        "--x\r\n\r\nread\r\n--x--",
      ),
    ],
    ["no content type", rawRequest("POST", "/api/v1/keys", auth, '{"scope":"read"}')],
    [
      "JSON charset utf-16",
      rawRequest(
        "POST",
        "/api/v1/keys",
        { ...auth, "content-type": "application/json; charset=utf-16" },
        '{"scope":"read"}',
      ),
    ],
    ["HTTP/1.0 request", Buffer.from("GET /health HTTP/1.0\r\n\r\n")],
    ["HTTP/1.1 without Host", Buffer.from("GET /health HTTP/1.1\r\nconnection: close\r\n\r\n")],
    ["HTTP/2 preface on HTTP/1.1", Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")],
    ["garbage request line", Buffer.from("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "latin1")],
    ["lowercase method", rawRequest("get", "/health", {})],
    ["unknown method", rawRequest("BREW", "/health", {})],
    [
      "request line with spaces in the target",
      Buffer.from("GET /api/v1/me HTTP/1.1 extra\r\nhost: x\r\n\r\n"),
    ],
  ];
  return cases.map(([name, b]) => ({ name, bytes: b }));
}

function bytes(latin1: string): Buffer {
  return Buffer.from(latin1, "latin1");
}

function chunked(text: string): string {
  const size = 65_536;
  let out = "";
  for (let i = 0; i < text.length; i += size) {
    const part = text.slice(i, i + size);
    out += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

/** Random byte edits of a valid request: the HTTP parser and the hub must both survive them. */
export function mutatedRequestArb(base: Buffer): fc.Arbitrary<Buffer> {
  const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.nat(2) });
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let b = Buffer.from(base);
    for (const e of edits) {
      const at = e.at % (b.length + 1);
      if (e.op === 0) b[at % b.length] = e.byte;
      else if (e.op === 1)
        b = Buffer.concat([b.subarray(0, at), Buffer.of(e.byte), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    }
    return b;
  });
}
