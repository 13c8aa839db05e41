import type { FastifyRequest } from "fastify";
import { sessionLimits } from "../../../sessions/index.ts";
import type { AppContext } from "../../context.ts";

/** Over https the cookie takes the `__Host-` prefix: Secure, Path=/ and no Domain, enforced. */
const SECURE_NAME = "__Host-agx_session";
const PLAIN_NAME = "agx_session";

/** The CSRF header a cookie-authenticated state-changing request must carry. */
export const CSRF_HEADER = "x-csrf-token";

/** True when the console is reached over https (directly or as configured behind a proxy). */
export function isSecure(ctx: AppContext, request: FastifyRequest): boolean {
  return request.protocol === "https" || (ctx.config.public_url ?? "").startsWith("https:");
}

/** The session token of the request's cookie header, if any. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== "string") return undefined;
  let plain: string | undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === SECURE_NAME) return value;
    if (name === PLAIN_NAME) plain = value;
  }
  return plain;
}

/** `Set-Cookie` for a new session: httpOnly, SameSite=Strict, Secure over https. */
export function sessionCookie(secure: boolean, token: string): string {
  const max_age_s = Math.floor(sessionLimits.session_ttl_ms / 1000);
  const flags = `Path=/; HttpOnly; SameSite=Strict; Max-Age=${max_age_s}`;
  return `${secure ? SECURE_NAME : PLAIN_NAME}=${token}; ${flags}${secure ? "; Secure" : ""}`;
}

/** `Set-Cookie` that removes the session cookie. */
export function clearedCookie(secure: boolean): string {
  const name = secure ? SECURE_NAME : PLAIN_NAME;
  return `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
