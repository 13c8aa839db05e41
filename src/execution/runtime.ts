import type { Clock } from "../kernel/clock.ts";
import type { OutboundOptions } from "../net/index.ts";
import { type ExecutionAdapter, type ExecutionResult, postToProvider } from "./execution.ts";

/**
 * Machine-side runtimes: a service endpoint `machine://<machine id>/<provider key>` names a
 * runtime endpoint a machine registered (by its owner or its runtime agent's heartbeat). The URL
 * behind it is looked up at call time, so the call follows the endpoint as the machine moves it,
 * and stops when its lease lapses.
 */

export const MACHINE_URL_SCHEME = "machine://";

/** Which runtime endpoint a `machine://` URL names. */
export interface MachineEndpointRef {
  machine_id: string;
  provider_key: string;
}

const MACHINE_URL = /^machine:\/\/(mach_[0-9a-z]{26})\/([a-z0-9][a-z0-9_.-]{0,63})$/;

/** The machine and provider key of a `machine://` URL, or null when it is not one (exactly). */
export function parseMachineUrl(url: string): MachineEndpointRef | null {
  const m = MACHINE_URL.exec(url);
  return m ? { machine_id: m[1] as string, provider_key: m[2] as string } : null;
}

/** A live runtime endpoint, with its plaintext auth token (never leaves the adapter). */
export interface LiveRuntimeEndpoint {
  url: string;
  protocol: string;
  network_scope: "public" | "private";
  auth_token: string | null;
}

/** Why a `machine://` endpoint cannot be called now (missing, lease lapsed, machine inactive). */
export type RuntimeResolution =
  | { ok: true; endpoint: LiveRuntimeEndpoint }
  | { ok: false; reason: string };

/** Looks a runtime endpoint up at call time (injected by the composition root). */
export type RuntimeResolver = (ref: MachineEndpointRef) => Promise<RuntimeResolution>;

const CALLABLE_PROTOCOLS: readonly string[] = ["http", "https"];

/** `Bearer <token>`, unless the owner stored the whole header value already. */
function authorizationOf(token: string): string {
  return /^bearer\s/i.test(token) ? token : `Bearer ${token}`;
}

/**
 * Runs `machine://` endpoints through the machine's live runtime endpoint, like an HTTP provider,
 * with its auth token as a bearer credential. Private addresses are allowed only for endpoints of
 * `private` scope (`privateOutbound`); `public` ones get the hub's usual rule (`outbound`).
 */
export function runtimeAdapter(
  clock: Clock,
  resolve: RuntimeResolver,
  outbound: { public: OutboundOptions; private: OutboundOptions },
): ExecutionAdapter {
  const route = "machine";
  const refuse = (error: string): ExecutionResult => ({
    ok: false,
    kind: "unreachable",
    error,
    latency_ms: 0,
    route,
  });
  return {
    route,
    accepts: (t) => t.endpoints.some((e) => e.url.startsWith(MACHINE_URL_SCHEME)),
    async run(t, limits) {
      const url = t.endpoints.find((e) => e.url.startsWith(MACHINE_URL_SCHEME))?.url ?? "";
      const ref = parseMachineUrl(url);
      if (!ref) return refuse(`not a machine endpoint: ${url}`);
      let found: RuntimeResolution;
      try {
        found = await resolve(ref);
      } catch (error) {
        // The lookup failing is not the provider's answer: the order is refunded.
        return refuse(`runtime endpoint lookup failed: ${String(error)}`);
      }
      if (!found.ok) return refuse(found.reason);
      const e = found.endpoint;
      if (!CALLABLE_PROTOCOLS.includes(e.protocol)) {
        return refuse(`runtime endpoint speaks ${e.protocol}, not http`);
      }
      // The endpoint's own credential wins over any header a rail asked to replay.
      const headers = Object.fromEntries(
        Object.entries(t.payment_headers ?? {}).filter(
          ([k]) => k.toLowerCase() !== "authorization",
        ),
      );
      if (e.auth_token !== null) headers.authorization = authorizationOf(e.auth_token);
      const guard = e.network_scope === "private" ? outbound.private : outbound.public;
      return postToProvider(clock, e.url, t, { route, outbound: guard, headers }, limits);
    },
  };
}
