import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import { classifyAddress, netProblems, normaliseHost } from "../net/index.ts";
import { webhookLimits } from "./limits.ts";
import { type WebhookEndpoint, webhookEventTypes } from "./model.ts";
import { webhookProblems } from "./problems.ts";
import { newSecret, type SecretSeal } from "./signing.ts";
import * as store from "./store.ts";

export interface SubscriptionDeps {
  clock: Clock;
  seal: SecretSeal;
  /** The hub's publish-time URL check (literal private, loopback and metadata addresses). */
  checkUrl(url: string, pointer: string): Promise<void>;
  /** What calls may reach, as guardedFetch will enforce at send time. */
  outbound: { allowHosts: readonly string[]; allowPrivate: boolean };
}

const prefixes = new Set(webhookEventTypes.map((t) => t.split(".")[0]));

/** True when a subscription's filter covers an event type. */
export function matches(filter: readonly string[], type: string): boolean {
  return filter.some(
    (f) => f === "*" || f === type || (f.endsWith(".*") && type.startsWith(f.slice(0, -1))),
  );
}

function checkTypes(types: readonly string[]): string[] {
  for (const [i, t] of types.entries()) {
    const known =
      t === "*" ||
      (webhookEventTypes as readonly string[]).includes(t) ||
      (t.endsWith(".*") && prefixes.has(t.slice(0, -2)));
    if (!known)
      throw new Problem(webhookProblems.WEBHOOK_EVENT_TYPE_UNKNOWN, `no events of type ${t}`, {
        errors: [{ pointer: `/event_types/${i}`, detail: "is not an event type the hub sends" }],
        extensions: { event_types: webhookEventTypes },
      });
  }
  return [...new Set(types)];
}

/** Subscriptions: endpoints with an event filter and a secret shown once, rotatable. */
export function createSubscriptions(deps: SubscriptionDeps) {
  const { clock, seal } = deps;

  /** The SSRF check, plus https unless the host is a loopback the hub may reach. */
  async function checkUrl(raw: string): Promise<void> {
    await deps.checkUrl(raw, "/url");
    const url = new URL(raw);
    const host = normaliseHost(url.hostname);
    const loopback = host === "localhost" || classifyAddress(host) === "loopback";
    const reachable =
      deps.outbound.allowPrivate || deps.outbound.allowHosts.some((h) => normaliseHost(h) === host);
    if (url.protocol === "http:" && !(loopback && reachable))
      throw new Problem(netProblems.NET_URL_BLOCKED, "/url: webhooks are sent over https only", {
        errors: [{ pointer: "/url", detail: "use an https:// URL" }],
      });
  }

  async function rowOf(ex: Executor, owner_id: string, id: string) {
    const row = await store.getEndpointRow(ex, id);
    if (!row || row.owner_id !== owner_id)
      throw new Problem(webhookProblems.WEBHOOK_ENDPOINT_NOT_FOUND, `no webhook endpoint ${id}`);
    return row;
  }

  async function subscribe(
    tx: Executor,
    owner_id: string,
    spec: { url: string; event_types: string[]; description?: string },
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    await checkUrl(spec.url);
    const event_types = checkTypes(spec.event_types);
    if ((await store.countEndpoints(tx, owner_id)) >= webhookLimits.endpoints_per_owner_max)
      throw new Problem(
        webhookProblems.WEBHOOK_ENDPOINT_LIMIT,
        `at most ${webhookLimits.endpoints_per_owner_max} endpoints per principal`,
      );
    const now_ms = clock.now_ms();
    const id = newId("whe", now_ms);
    const secret = newSecret();
    const row: store.EndpointRow = {
      id,
      owner_id,
      url: spec.url,
      event_types: JSON.stringify(event_types),
      description: spec.description ?? "",
      status: "enabled",
      disabled_reason: null,
      secret: seal.seal(secret, id),
      previous_secret: null,
      previous_secret_until_ms: null,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
    };
    await store.insertEndpoint(tx, row);
    return { endpoint: store.toEndpoint(row), secret };
  }

  async function update(
    tx: Executor,
    owner_id: string,
    id: string,
    patch: { url?: string; event_types?: string[]; description?: string; enabled?: boolean },
  ): Promise<WebhookEndpoint> {
    await rowOf(tx, owner_id, id);
    if (patch.url !== undefined) await checkUrl(patch.url);
    const set: Parameters<typeof store.updateEndpoint>[2] = { updated_at_ms: clock.now_ms() };
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.event_types) set.event_types = JSON.stringify(checkTypes(patch.event_types));
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.enabled !== undefined) {
      set.status = patch.enabled ? "enabled" : "disabled";
      set.disabled_reason = patch.enabled ? null : "disabled by its owner";
    }
    await store.updateEndpoint(tx, id, set);
    return store.toEndpoint(await rowOf(tx, owner_id, id));
  }

  /** A new secret, shown once; the old one keeps signing for `overlap_ms` (0: not at all). */
  async function rotate(tx: Executor, owner_id: string, id: string, overlap_ms: number) {
    const row = await rowOf(tx, owner_id, id);
    const secret = newSecret();
    const now_ms = clock.now_ms();
    await store.updateEndpoint(tx, id, {
      secret: seal.seal(secret, id),
      previous_secret: overlap_ms > 0 ? row.secret : null,
      previous_secret_until_ms: overlap_ms > 0 ? now_ms + overlap_ms : null,
      updated_at_ms: now_ms,
    });
    return { endpoint: store.toEndpoint(await rowOf(tx, owner_id, id)), secret };
  }

  /** The secrets that sign now: the current one, and the previous one during its overlap. */
  // Opened secrets by endpoint and sealed value: a rotation seals a new value, so a stale entry
  // is never used; bounded, oldest dropped first.
  const opened = new Map<string, string>();
  function open(sealed: string, endpoint_id: string): string {
    const key = `${endpoint_id} ${sealed}`;
    const hit = opened.get(key);
    if (hit !== undefined) return hit;
    const secret = seal.open(sealed, endpoint_id);
    if (opened.size >= webhookLimits.opened_secrets_max) {
      const oldest = opened.keys().next().value;
      if (oldest !== undefined) opened.delete(oldest);
    }
    opened.set(key, secret);
    return secret;
  }

  function signingSecrets(
    row: Pick<store.EndpointRow, "id" | "secret" | "previous_secret" | "previous_secret_until_ms">,
  ): string[] {
    const until = row.previous_secret_until_ms === null ? 0 : Number(row.previous_secret_until_ms);
    const out = [open(row.secret, row.id)];
    if (row.previous_secret !== null && clock.now_ms() < until)
      out.push(open(row.previous_secret, row.id));
    return out;
  }

  return {
    subscribe,
    update,
    rotate,
    signingSecrets,
    get: async (ex: Executor, owner_id: string, id: string) =>
      store.toEndpoint(await rowOf(ex, owner_id, id)),
    list: store.endpointsOf,
    /** Removes an endpoint; its deliveries go with it (the flow deletes them). */
    remove: async (tx: Executor, owner_id: string, id: string) => {
      await rowOf(tx, owner_id, id);
      await store.deleteEndpoint(tx, id);
    },
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;
