import type { FastifyReply, FastifyRequest } from "fastify";
import { sha256Hex } from "../kernel/json.ts";

/**
 * Sends a small public document with a strong ETag and Cache-Control, answering 304 when the
 * client's If-None-Match already names it (peac.txt, JWKS, issuer and discovery documents).
 */
export function sendCached(
  request: FastifyRequest,
  reply: FastifyReply,
  body: string,
  options: { content_type: string; max_age_s: number },
) {
  const etag = `"${sha256Hex(body).slice(0, 32)}"`;
  reply
    .header("etag", etag)
    .header("cache-control", `public, max-age=${options.max_age_s}`)
    .header("vary", "accept-encoding");
  const given = request.headers["if-none-match"];
  const tags =
    typeof given === "string" ? given.split(",").map((t) => t.trim().replace(/^W\//, "")) : [];
  if (tags.includes(etag) || tags.includes("*")) return reply.code(304).send();
  return reply
    .type(options.content_type)
    .serializer((s: unknown) => String(s))
    .send(body);
}
