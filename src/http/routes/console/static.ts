import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** Where `npm run build:web` writes the console. */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL("../../../../web/dist", import.meta.url));

/**
 * The console's own pages (web/src/app.tsx): these answer index.html so a reload or a shared
 * link works. Anything else no route matched stays a problem+json 404, as API clients expect.
 */
const CONSOLE_PAGES = ["/market", "/orders", "/wallet", "/machines", "/catalogue", "/floor"];
const OPERATOR_PAGE = "/operator";

function isConsolePage(path: string): boolean {
  if (path === "/") return true;
  return [...CONSOLE_PAGES, OPERATOR_PAGE].some((p) => path === p || path.startsWith(`${p}/`));
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/** The console talks only to this origin; nothing inline, nothing framed. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const MISSING_BUILD = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>agx console not built</title></head><body>
<h1>The agx console is not built</h1>
<p>This hub serves its web console from <code>web/dist</code>, which does not exist yet.
Run <code>npm run build:web</code> and reload. The API works without it:
see <a href="/openapi.json">/openapi.json</a>.</p></body></html>`;

/**
 * Serves the built console (`web/dist`) for GET and HEAD requests no route answered: its files
 * as they are (hashed assets cached for a year) and its pages as index.html, so client-side
 * routes survive a reload. Every other path keeps its problem+json 404/405.
 */
export function installConsole(app: FastifyInstance, options: { dist_dir?: string } = {}): void {
  const root = resolve(options.dist_dir ?? CONSOLE_DIST_DIR);
  app.addHook("onRequest", async (request, reply) => {
    if (!request.is404 || (request.method !== "GET" && request.method !== "HEAD")) return;
    const path = pathOf(request);
    if (path === null) return;
    if (!isConsolePage(path)) {
      const file = extname(path) === "" ? null : safeJoin(root, path);
      if (file !== null && (await isFile(file))) {
        return sendFile(reply, file, path.startsWith("/assets/"));
      }
      return;
    }
    const index = join(root, "index.html");
    if (await isFile(index)) return sendFile(reply, index, false);
    return reply
      .code(503)
      .header("cache-control", "no-store")
      .type("text/html; charset=utf-8")
      .send(MISSING_BUILD);
  });
}

/** The decoded path, or null when it cannot be decoded or carries a NUL or a backslash. */
function pathOf(request: FastifyRequest): string | null {
  const raw = request.url.split("?")[0] ?? "/";
  try {
    const decoded = decodeURIComponent(raw);
    return decoded.includes("\0") || decoded.includes("\\") ? null : decoded;
  } catch {
    return null;
  }
}

/** The file a URL path names inside `root`, or null when it would leave it. */
export function safeJoin(root: string, path: string): string | null {
  const file = resolve(root, `.${normalize(`/${path}`)}`);
  return file === root || file.startsWith(root + sep) ? file : null;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function sendFile(reply: FastifyReply, file: string, immutable: boolean) {
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
  reply
    .code(200)
    .type(type)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (type.startsWith("text/html")) {
    reply.header("content-security-policy", CSP).header("x-frame-options", "DENY");
  }
  return reply.send(await readFile(file));
}
