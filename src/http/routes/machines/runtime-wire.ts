import { type Static, Type } from "@sinclair/typebox";
import { isoOf } from "../../../kernel/clock.ts";
import { limits } from "../../../kernel/limits.ts";
import {
  type EndpointInput,
  machineLimits,
  type RuntimeAgent,
  type RuntimeEndpoint,
} from "../../../machines/index.ts";

export const ProviderKey = Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]{0,63}$" });

/** An endpoint as written; `authToken` is stored sealed and never returned. */
export const EndpointFields = {
  url: Type.String({ maxLength: limits.url_chars_max, pattern: "^https?://" }),
  protocol: Type.Optional(Type.String({ pattern: "^[a-z0-9-]{1,20}$" })),
  networkScope: Type.Optional(Type.Union([Type.Literal("public"), Type.Literal("private")])),
  capabilities: Type.Optional(
    Type.Array(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$" }), {
      maxItems: machineLimits.capabilities_max,
      uniqueItems: true,
    }),
  ),
  authToken: Type.Optional(
    Type.Union([
      Type.String({ minLength: 1, maxLength: machineLimits.endpoint_auth_token_chars_max }),
      Type.Null(),
    ]),
  ),
};

const Fields = Type.Object(EndpointFields);

export function endpointInputOf(provider_key: string, b: Static<typeof Fields>): EndpointInput {
  return {
    provider_key,
    url: b.url,
    protocol: b.protocol ?? "http",
    network_scope: b.networkScope ?? "public",
    capabilities: b.capabilities ?? [],
    ...(b.authToken !== undefined ? { auth_token: b.authToken } : {}),
  };
}

export const EndpointWire = Type.Object({
  machineId: Type.String(),
  providerKey: Type.String(),
  url: Type.String(),
  protocol: Type.String(),
  networkScope: Type.String(),
  capabilities: Type.Array(Type.String()),
  hasAuthToken: Type.Boolean(),
  agentId: Type.Union([Type.String(), Type.Null()]),
  leaseExpiresAt: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal("active"), Type.Literal("unreachable")]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export function endpointWire(e: RuntimeEndpoint) {
  return {
    machineId: e.machine_id,
    providerKey: e.provider_key,
    url: e.url,
    protocol: e.protocol,
    networkScope: e.network_scope,
    capabilities: e.capabilities,
    hasAuthToken: e.has_auth_token,
    agentId: e.agent_id,
    leaseExpiresAt: e.lease_expires_at_ms === null ? null : isoOf(e.lease_expires_at_ms),
    status: e.status,
    createdAt: isoOf(e.created_at_ms),
    updatedAt: isoOf(e.updated_at_ms),
  };
}

export const AgentWire = Type.Object({
  agentId: Type.String(),
  machineId: Type.String(),
  status: Type.String(),
  lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

export function agentWire(a: RuntimeAgent) {
  return {
    agentId: a.id,
    machineId: a.machine_id,
    status: a.status,
    lastSeenAt: a.last_seen_at_ms === null ? null : isoOf(a.last_seen_at_ms),
    createdAt: isoOf(a.created_at_ms),
  };
}
