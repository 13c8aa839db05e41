import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Database } from "../../src/db/db.ts";
import { findCapability } from "../../src/http/routes/aimp/tools.ts";
import type { Clock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import type { PipelineNode } from "../../src/pipelines/index.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

export const TEXT =
  "Agents trade skills on the exchange. Every call is priced before it runs. " +
  "Buyers pay agents in USDC for each skill they invoke. Receipts prove what happened. " +
  "Pipelines chain skills into one job with a signed bill of materials.";

/** units.convert at a fixed 100 minor units a call. */
export const UNITS = { product_id: "builtin-units-convert-convert", capability_id: "convert@v1" };

/**
 * A provider for pipelines: `/slow` answers after 300 ms (a branch still running when another
 * fails), `/hang` answers only when released (a call in flight when its hub "dies").
 */
async function startProvider() {
  const held: ServerResponse[] = [];
  const slow = { in_flight: 0, peak: 0 };
  const answer = (res: ServerResponse) =>
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ result: { done: true } }));
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url?.startsWith("/hang")) held.push(res);
      else {
        slow.in_flight++;
        slow.peak = Math.max(slow.peak, slow.in_flight);
        setTimeout(() => {
          slow.in_flight--;
          answer(res);
        }, 300);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    held: () => held.length,
    /** Most `/slow` calls in flight at once since the last reset. */
    peak: () => slow.peak,
    resetPeak: () => {
      slow.peak = slow.in_flight;
    },
    release: () => {
      for (const res of held.splice(0)) answer(res);
    },
    close: () => server.close(),
  };
}

export type PipelineHub = Awaited<ReturnType<typeof startPipelineHub>>;

/** A test hub with two HTTP services (slow, hanging) at 0.01 USDC and pipeline helpers. */
export async function startPipelineHub(db: Database, options: { clock?: Clock } = {}) {
  const provider = await startProvider();
  const t: TestHub = await startTestHub({
    database: db,
    ...(options.clock ? { clock: options.clock } : {}),
    config: { outbound_allow_hosts: ["127.0.0.1"], hub_fee_bps: 1000 },
  });
  /** An agent with a write key (made directly: registration is rate-limited per address). */
  async function agent(funds?: string) {
    const { ctx } = t.hub;
    const made = await ctx.db.transaction(async (tx) => {
      const handle = `pl${Math.random().toString(36).slice(2, 10)}`;
      const p = await ctx.identity.createPrincipal(tx, {
        kind: "agent",
        handle,
        display_name: handle,
      });
      return { id: p.id, key: (await ctx.identity.issueKey(tx, p.id, { scope: "write" })).secret };
    });
    if (funds) {
      await t.call("POST", "/api/v1/admin/deposits", {
        key: t.adminKey,
        body: { id: newId("dep"), owner_id: made.id, amount: funds, asset: "USDC" },
      });
    }
    return made;
  }
  const seller = await agent();
  async function publish(path: string) {
    const name = `${path}-${seller.id.slice(-8)}`;
    const res = await t.call("POST", "/api/v1/catalog/services", {
      key: seller.key,
      body: {
        name,
        version: "1.0.0",
        skill_key: "text.stats",
        description: `answers from ${path}`,
        company_name: "Pipes Inc",
        execution_mode: "native",
        endpoints: [{ url: `${provider.origin}/${path}`, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.01" },
        rails: ["agx-ledger"],
      },
    });
    if (res.status !== 201) throw new Error(`publish ${path}: ${JSON.stringify(res.body)}`);
    return { product_id: name, capability_id: "analyze@v1" };
  }
  const slow = await publish("slow");
  const hang = await publish("hang");

  const balance = async (key: string) =>
    BigInt(
      (await t.call("GET", "/api/v1/balances", { key })).body.items.find(
        (a: { kind: string }) => a.kind === "available",
      )?.balance_minor ?? "0",
    );
  const run = (key: string, body: unknown, headers: Record<string, string> = {}) =>
    t.call("POST", "/ai-market/pipelines", { key, body, headers });
  // biome-ignore lint/suspicious/noExplicitAny: test answers are plain JSON.
  const stepOf = (res: { body: { steps: { node_id: string }[] } }, id: string): any =>
    res.body.steps.find((s) => s.node_id === id);

  /** Polls a job's page until `done` holds (bounded). */
  // biome-ignore lint/suspicious/noExplicitAny: test answers are plain JSON.
  async function until(key: string, job_id: string, done: (page: any) => boolean) {
    for (let i = 0; i < 200; i++) {
      const page = (await t.call("GET", `/ai-market/jobs/${job_id}`, { key })).body;
      if (done(page)) return page;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${job_id} never got there`);
  }

  /** Submits a pipeline straight to the flow (no HTTP, no run): a job accepted, then a crash. */
  async function resubmit(
    owner_id: string,
    body: { nodes: PipelineNode[]; on_failure?: "stop" | "continue" },
    client_key: string | null,
  ) {
    const { ctx } = t.hub;
    const { job, created } = await ctx.db.transaction((tx) =>
      ctx.pipelineFlows.submit(
        tx,
        {
          owner_id,
          nodes: body.nodes,
          on_failure: body.on_failure ?? "stop",
          budget: null,
          source: { kind: "balance" },
          client_key,
        },
        (ex, node) => findCapability(ctx, ex, node.product_id, node.capability_id),
      ),
    );
    return { job_id: job.id, created };
  }

  return {
    t,
    slow,
    hang,
    provider,
    agent,
    balance,
    run,
    stepOf,
    until,
    resubmit,
    close: async () => {
      provider.release();
      await t.close();
      provider.close();
    },
  };
}

/** Parses a text/event-stream body into its events (comments and retry lines left out). */
// biome-ignore lint/suspicious/noExplicitAny: event data is plain JSON.
export function parseSse(body: string): { id: number; event: string; data: any }[] {
  return body
    .split("\n\n")
    .filter((frame) => frame.includes("data: "))
    .map((frame) => {
      const field = (name: string) =>
        frame
          .split("\n")
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2) ?? "";
      return { id: Number(field("id")), event: field("event"), data: JSON.parse(field("data")) };
    });
}
