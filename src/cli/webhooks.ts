import type { Command } from "commander";
import {
  type ClientCliIo,
  clientOf,
  type HubFlags,
  jsonText,
  processClientIo,
  runHubCommand,
  table,
  UsageError,
  withHubOptions,
} from "./hub-client.ts";
import { paint, statusText } from "./ui.ts";

async function list(flags: HubFlags, io: ClientCliIo) {
  const { items, event_types } = await clientOf(flags, io).webhooks();
  if (flags.json) return io.out(jsonText({ items, event_types }));
  if (items.length === 0) {
    io.out("no webhook endpoints (agx webhooks create <url> --events … adds one)\n");
  } else {
    const rows = [["id", "url", "events", "status"]];
    for (const e of items) {
      const status = e.disabled_reason ? `${e.status} (${e.disabled_reason})` : e.status;
      rows.push([e.id, e.url, e.event_types.join(","), status]);
    }
    io.out(table(rows, io));
  }
  io.out(paint(io, "dim", `event types: ${event_types.join(", ")}\n`));
}

interface CreateFlags extends HubFlags {
  events: string;
  description?: string;
}

async function create(url: string, flags: CreateFlags, io: ClientCliIo) {
  const event_types = flags.events
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (event_types.length === 0) throw new UsageError("--events names at least one event type");
  const made = await clientOf(flags, io).subscribeWebhook({
    url,
    event_types,
    ...(flags.description ? { description: flags.description } : {}),
  });
  if (flags.json) return io.out(jsonText(made));
  io.out(`endpoint ${made.endpoint.id} → ${made.endpoint.url}\n`);
  io.out(`events   ${made.endpoint.event_types.join(", ")}\n`);
  io.out(`secret   ${paint(io, "bold", made.secret)}\n`);
  io.out(paint(io, "yellow", "shown once: verify signatures with it (Standard Webhooks)\n"));
}

interface DeliveryFlags extends HubFlags {
  status?: string;
  limit?: string;
}

async function deliveries(endpointId: string, flags: DeliveryFlags, io: ClientCliIo) {
  const status = flags.status;
  if (status !== undefined && !["pending", "succeeded", "dead"].includes(status)) {
    throw new UsageError(`--status ${status}: one of pending, succeeded, dead`);
  }
  const limit = flags.limit === undefined ? 20 : Number(flags.limit);
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100)) {
    throw new UsageError(`--limit ${flags.limit} is not an integer 1–100`);
  }
  const page = await clientOf(flags, io).webhookDeliveries(endpointId, {
    limit,
    ...(status ? { status: status as "pending" | "succeeded" | "dead" } : {}),
  });
  if (flags.json) return io.out(jsonText(page));
  if (page.items.length === 0) return io.out("no deliveries\n");
  const rows = [["id", "type", "status", "attempts", "last", "created"]];
  for (const d of page.items) {
    const last = d.last_status_code ? `HTTP ${d.last_status_code}` : (d.last_error ?? "-");
    rows.push([d.id, d.type, d.status, String(d.attempts), last, d.created_at.slice(0, 19)]);
  }
  io.out(table(rows, io));
  if (page.next_cursor) io.out(paint(io, "dim", "(more: --json shows next_cursor)\n"));
}

async function redeliver(
  endpointId: string,
  deliveryId: string | undefined,
  flags: HubFlags,
  io: ClientCliIo,
) {
  const client = clientOf(flags, io);
  if (deliveryId) {
    const d = await client.redeliverWebhook(endpointId, deliveryId);
    if (flags.json) return io.out(jsonText(d));
    return io.out(`${statusText(io, d.status)} ${d.id}: sent again (webhook-id ${d.message_id})\n`);
  }
  const r = await client.redeliverFailedWebhooks(endpointId);
  io.out(flags.json ? jsonText(r) : `${r.redelivered} dead deliveries sent again\n`);
}

/** `agx webhooks list|create|deliveries|redeliver`. */
export function registerWebhookCommands(program: Command, io: ClientCliIo = processClientIo): void {
  const hooks = program.command("webhooks").description("your webhook endpoints and deliveries");
  withHubOptions(hooks.command("list").description("endpoints and the event types")).action(
    (flags: HubFlags) => runHubCommand(io, () => list(flags, io)),
  );
  withHubOptions(
    hooks
      .command("create <url>")
      .description("subscribe an endpoint; prints its signing secret once")
      .requiredOption("--events <types>", "comma-separated event types (order.*, *, …)")
      .option("--description <text>", "what it is for"),
  ).action((url: string, flags: CreateFlags) => runHubCommand(io, () => create(url, flags, io)));
  withHubOptions(
    hooks
      .command("deliveries <endpoint-id>")
      .description("deliveries to an endpoint, newest first")
      .option("--status <status>", "pending, succeeded or dead")
      .option("--limit <n>", "at most this many (1–100)", "20"),
  ).action((id: string, flags: DeliveryFlags) =>
    runHubCommand(io, () => deliveries(id, flags, io)),
  );
  withHubOptions(
    hooks
      .command("redeliver <endpoint-id> [delivery-id]")
      .description("send one delivery again, or every dead one of the endpoint"),
  ).action((id: string, delivery: string | undefined, flags: HubFlags) =>
    runHubCommand(io, () => redeliver(id, delivery, flags, io)),
  );
}
