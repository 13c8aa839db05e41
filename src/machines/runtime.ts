import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId, randomToken } from "../kernel/ids.ts";
import { sha256Hex } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { machineLimits } from "./limits.ts";
import type { EndpointInput, RuntimeAgent, RuntimeEndpoint } from "./model.ts";
import { machineProblems } from "./problems.ts";
import * as store from "./runtime-store.ts";
import { createSecretBox } from "./secretbox.ts";

/** Machine agent tokens start with this, so secret scanners can find leaked ones. */
export const MACHINE_AGENT_TOKEN_PREFIX = "mat_agx_";

export interface RuntimeDeps {
  clock: Clock;
  endpoint_secret_key: Uint8Array;
  checkUrl: (url: string, pointer: string) => Promise<void>;
  lease_ms?: number;
}

/** The sealed token is bound to its row: a ciphertext moved to another endpoint does not open. */
const aadOf = (machine_id: string, provider_key: string) => `${machine_id}\n${provider_key}`;

/**
 * Machine-side runtime agents and their endpoints. Callers check the machine (owner, proof,
 * status) first; these functions take a machine id that was already authorised.
 */
export function createRuntime(deps: RuntimeDeps) {
  const { clock } = deps;
  const box = createSecretBox(deps.endpoint_secret_key);
  const lease_ms = deps.lease_ms ?? machineLimits.runtime_lease_ms;

  /** Enrols a runtime agent; the token is returned this once and stored only as a hash. */
  async function enrol(tx: Executor, machine_id: string) {
    const now_ms = clock.now_ms();
    const token =
      MACHINE_AGENT_TOKEN_PREFIX + randomToken(machineLimits.runtime_agent_token_random_bytes);
    const agent: RuntimeAgent = {
      id: newId("magt", now_ms),
      machine_id,
      status: "enrolled",
      last_seen_at_ms: null,
      created_at_ms: now_ms,
    };
    await store.enrolAgent(tx, agent, sha256Hex(token));
    return { agent, token };
  }

  /** The runtime agent a token belongs to, or MACHINE_AGENT_AUTH_REQUIRED/INVALID. */
  async function authenticate(ex: Executor, token: string | undefined): Promise<RuntimeAgent> {
    if (token === undefined || token === "") {
      throw new Problem(machineProblems.MACHINE_AGENT_AUTH_REQUIRED, "send x-machine-agent-token");
    }
    const agent = token.startsWith(MACHINE_AGENT_TOKEN_PREFIX)
      ? await store.agentByTokenHash(ex, sha256Hex(token))
      : null;
    if (!agent) {
      throw new Problem(machineProblems.MACHINE_AGENT_AUTH_INVALID, "unknown or replaced token");
    }
    return agent;
  }

  async function checkEndpointUrl(input: EndpointInput, pointer: string): Promise<void> {
    let url: URL | null = null;
    try {
      url = new URL(input.url);
    } catch {}
    if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password) {
      throw new Problem(kernelProblems.VALIDATION_FAILED, `${pointer}: not a plain http(s) URL`, {
        errors: [{ pointer, detail: "an http(s) URL without credentials" }],
      });
    }
    // Private endpoints are reachable only through the runtime rule at invocation time.
    if (input.network_scope === "public") await deps.checkUrl(input.url, pointer);
  }

  async function write(
    tx: Executor,
    machine_id: string,
    input: EndpointInput,
    lease: { agent_id: string | null; lease_expires_at_ms: number | null },
  ): Promise<RuntimeEndpoint> {
    const now_ms = clock.now_ms();
    const old = await store.getEndpointRow(tx, machine_id, input.provider_key);
    if (
      !old &&
      (await store.countEndpoints(tx, machine_id)) >=
        machineLimits.runtime_endpoints_per_machine_max
    ) {
      throw new Problem(
        machineProblems.MACHINE_RUNTIME_ENDPOINT_LIMIT_REACHED,
        `at most ${machineLimits.runtime_endpoints_per_machine_max} endpoints per machine`,
      );
    }
    const sealed =
      input.auth_token === undefined
        ? (old?.auth_token_sealed ?? null)
        : input.auth_token === null
          ? null
          : box.seal(input.auth_token, aadOf(machine_id, input.provider_key));
    const row: store.EndpointRow = {
      machine_id,
      provider_key: input.provider_key,
      url: input.url,
      protocol: input.protocol,
      network_scope: input.network_scope,
      capabilities: JSON.stringify(input.capabilities),
      auth_token_sealed: sealed,
      ...lease,
      created_at_ms: old ? old.created_at_ms : now_ms,
      updated_at_ms: now_ms,
    };
    await store.upsertEndpoint(tx, row);
    return store.toEndpoint(row, now_ms);
  }

  /** Renews the agent's endpoints for one lease and marks the agent active. */
  async function heartbeat(tx: Executor, agent: RuntimeAgent, endpoints: EndpointInput[]) {
    for (const [i, e] of endpoints.entries()) await checkEndpointUrl(e, `/endpoints/${i}/url`);
    const now_ms = clock.now_ms();
    const lease_expires_at_ms = now_ms + lease_ms;
    const written: RuntimeEndpoint[] = [];
    for (const e of endpoints) {
      written.push(
        await write(tx, agent.machine_id, e, { agent_id: agent.id, lease_expires_at_ms }),
      );
    }
    await store.markAgentSeen(tx, agent.id, now_ms);
    const seen: RuntimeAgent = { ...agent, status: "active", last_seen_at_ms: now_ms };
    return { agent: seen, lease_expires_at_ms, endpoints: written };
  }

  /** An owner-registered endpoint: no lease; stays until deleted or a heartbeat takes it. */
  async function putEndpoint(tx: Executor, machine_id: string, input: EndpointInput) {
    await checkEndpointUrl(input, "/url");
    return write(tx, machine_id, input, { agent_id: null, lease_expires_at_ms: null });
  }

  async function getEndpoint(ex: Executor, machine_id: string, provider_key: string) {
    const row = await store.getEndpointRow(ex, machine_id, provider_key);
    if (!row) {
      throw new Problem(
        machineProblems.MACHINE_RUNTIME_ENDPOINT_NOT_FOUND,
        `no runtime endpoint ${provider_key} on ${machine_id}`,
      );
    }
    return store.toEndpoint(row, clock.now_ms());
  }

  async function listEndpoints(ex: Executor, machine_id: string): Promise<RuntimeEndpoint[]> {
    const now_ms = clock.now_ms();
    return (await store.listEndpointRows(ex, machine_id)).map((r) => store.toEndpoint(r, now_ms));
  }

  async function deleteEndpoint(tx: Executor, machine_id: string, provider_key: string) {
    if (!(await store.deleteEndpoint(tx, machine_id, provider_key))) {
      throw new Problem(
        machineProblems.MACHINE_RUNTIME_ENDPOINT_NOT_FOUND,
        `no runtime endpoint ${provider_key} on ${machine_id}`,
      );
    }
  }

  /** The plaintext auth token of an endpoint, for the execution adapter only; never for the API. */
  async function endpointAuthToken(ex: Executor, machine_id: string, provider_key: string) {
    const row = await store.getEndpointRow(ex, machine_id, provider_key);
    if (!row?.auth_token_sealed) return null;
    return box.open(row.auth_token_sealed, aadOf(machine_id, provider_key));
  }

  return {
    enrol,
    authenticate,
    heartbeat,
    putEndpoint,
    getEndpoint,
    listEndpoints,
    deleteEndpoint,
    endpointAuthToken,
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
