import type { Executor } from "../db/db.ts";
import {
  MACHINE_URL_SCHEME,
  parseMachineUrl,
  type RuntimeResolution,
  type RuntimeResolver,
} from "../execution/index.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { HUB_VIEWER, type Machines, machineProblems } from "../machines/index.ts";

/**
 * Services that run on a machine's runtime: a catalogue endpoint `machine://<machine>/<provider
 * key>` is published only by the machine's owner, and is called through the endpoint the machine
 * registered, looked up (with its sealed auth token) at call time.
 */

/** Lets the catalogue take an endpoint URL it cannot judge alone; true when taken. */
export type UrlClaim = (url: string, pointer: string) => Promise<boolean>;

/**
 * Checks that `owner_id` owns every machine the `machine://` URLs among `urls` name, and that each
 * is active with its proof re-checked (on `ex`, outside the publishing transaction: a block found
 * there must stay). Returns the claim the catalogue applies to those endpoints instead of its
 * http(s)-only check. Admin keys get no exception: a service runs only on its owner's machine.
 */
export async function machineEndpointClaim(
  machines: Machines,
  ex: Executor,
  owner_id: string,
  urls: readonly { url: string; pointer: string }[],
): Promise<UrlClaim> {
  const owned = new Set<string>();
  for (const { url, pointer } of urls) {
    if (!url.startsWith(MACHINE_URL_SCHEME)) continue;
    const ref = parseMachineUrl(url);
    if (!ref) {
      const detail = "machine://<machine id>/<provider key>";
      throw new Problem(kernelProblems.VALIDATION_FAILED, `${pointer}: not ${detail}`, {
        errors: [{ pointer, detail }],
      });
    }
    const viewer = { principal_id: owner_id, admin: false };
    await machines.requireBound(ex, viewer, ref.machine_id, { active: true });
    owned.add(url);
  }
  return async (url) => {
    if (!url.startsWith(MACHINE_URL_SCHEME)) return false;
    // Programmer error: the route must pass every endpoint URL through the check above.
    if (!owned.has(url)) throw new Error(`unchecked machine endpoint ${url}`);
    return true;
  };
}

/**
 * The execution adapter's lookup: the runtime endpoint, refused when it is missing, past its
 * lease, or its machine is not active. Reads outside any transaction (the provider call runs
 * between the order's two transactions).
 */
export function runtimeResolver(machines: Machines, ex: Executor): RuntimeResolver {
  const missing = (error: unknown, code: string) => isProblem(error) && error.code === code;
  return async (ref): Promise<RuntimeResolution> => {
    const { machine_id, provider_key } = ref;
    try {
      const machine = await machines.get(ex, HUB_VIEWER, machine_id);
      if (machine.status !== "active") {
        return { ok: false, reason: `machine ${machine_id} is ${machine.status}` };
      }
      const endpoint = await machines.runtime.getEndpoint(ex, machine_id, provider_key);
      if (endpoint.status !== "active") {
        return { ok: false, reason: `runtime endpoint ${provider_key} is ${endpoint.status}` };
      }
      const auth_token = await machines.runtime.endpointAuthToken(ex, machine_id, provider_key);
      const { url, protocol, network_scope } = endpoint;
      return { ok: true, endpoint: { url, protocol, network_scope, auth_token } };
    } catch (error) {
      if (missing(error, machineProblems.MACHINE_NOT_FOUND.code)) {
        return { ok: false, reason: `no machine ${machine_id}` };
      }
      if (missing(error, machineProblems.MACHINE_RUNTIME_ENDPOINT_NOT_FOUND.code)) {
        return { ok: false, reason: `no runtime endpoint ${provider_key} on ${machine_id}` };
      }
      throw error;
    }
  };
}
