import type { App } from "../../app.ts";
import createSession from "./create.ts";
import deleteSession from "./delete.ts";
import sessionNonce from "./nonce.ts";
import readSession from "./read.ts";
import type { SessionRouteContext } from "./wire.ts";

export type { SessionRouteContext } from "./wire.ts";

/** Console sign-in: SIWE nonce, sign-in (wallet or API key), read and sign out. */
export function registerSessionRoutes(app: App, ctx: SessionRouteContext): void {
  for (const route of [sessionNonce, createSession, readSession, deleteSession]) route(app, ctx);
}
