import type { Static } from "@sinclair/typebox";
import { invoke } from "../flows/invoke.ts";
import type { PipelineRequest } from "../flows/pipeline.ts";
import { addressOwnerId } from "../flows/x402.ts";
import type { AppContext } from "../http/context.ts";
import { PipelineBody } from "../http/routes/aimp/pipelines.ts";
import { type AimpCapability, findCapability } from "../http/routes/aimp/tools.ts";
import { quoteWire, serviceWire } from "../http/routes/catalog/wire.ts";
import { orderWire } from "../http/routes/orders/wire.ts";
import { pairingWire } from "../http/routes/pairings/wire.ts";
import { accountWire, decimalsOf, minorOf } from "../http/wire.ts";
import { minorToDecimal } from "../kernel/money.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { orderProblems } from "../orders/index.ts";
import { pipelineLimits } from "../pipelines/index.ts";
import { buyerOf, keyCallerOf, type McpActor, requesterIdOf, requireWrite } from "./actor.ts";
import { type AgxTool, toolNameOf } from "./tools.ts";
import {
  invokeWithX402Meta,
  paymentRequiredResult,
  RawToolResult,
  X402_MCP_META,
  x402ForTool,
} from "./x402.ts";

/**
 * Invokes a capability for an MCP caller: paid with x402 when `_meta["x402/payment"]` carries a
 * payment, else from the prepaid balance or a channel. When the balance cannot pay and the hub
 * takes x402 for this capability, the answer is the x402 MCP transport's PaymentRequired.
 */
export async function invokeCapability(
  ctx: AppContext,
  cap: AimpCapability,
  input: unknown,
  actor: McpActor,
  options: { channel_id?: string; meta?: Readonly<Record<string, unknown>> } = {},
): Promise<Record<string, unknown> | RawToolResult> {
  const x402 = options.channel_id ? null : x402ForTool(ctx, cap, toolNameOf(cap));
  const payment = options.meta?.[X402_MCP_META.payment];
  if (x402 && payment !== undefined) {
    // Without an account the payer is known by its address (CAIP-10), as on the HTTP route.
    const buyer = async (payer: { network: string; payer: string }) => {
      if (actor.kind === "anonymous")
        return { buyer_id: addressOwnerId(payer.network, payer.payer) };
      const p = await buyerOf(ctx, actor);
      return { buyer_id: p.buyer_id, ...(p.delegated ? { delegated: p.delegated } : {}) };
    };
    return new RawToolResult(await invokeWithX402Meta(ctx, x402, cap, { input, buyer, payment }));
  }
  try {
    return await invokePrepaid(ctx, cap, input, actor, options.channel_id);
  } catch (error) {
    if (x402 && isProblem(error) && error.code === "PAYMENT_REQUIRED") {
      return new RawToolResult(await paymentRequiredResult(x402, error.detail));
    }
    throw error;
  }
}

async function invokePrepaid(
  ctx: AppContext,
  cap: AimpCapability,
  input: unknown,
  actor: McpActor,
  channel_id?: string,
): Promise<Record<string, unknown>> {
  const purchaser = await buyerOf(ctx, actor);
  const who = {
    buyer_id: purchaser.buyer_id,
    actor_id: purchaser.actor_id,
    ...(purchaser.delegated ? { delegated: purchaser.delegated } : {}),
  };
  const out = await invoke(
    {
      db: ctx.db,
      purchases: ctx.purchases,
      fulfilment: ctx.fulfilment,
      orders: ctx.orders,
      usdOf: (minor, asset) => Number(minorToDecimal(minor, decimalsOf(ctx, asset))),
      signer: async () => (await ctx.keys.signingKey(ctx.db.kysely)).privateKey,
    },
    {
      service: cap.service,
      product_id: cap.product_id,
      capability_id: cap.capability_id,
      operation: cap.operation.name,
      input,
      payment: channel_id ? { rail: "channel", channel_id, ...who } : { rail: "prepaid", ...who },
      skill: cap.skill,
    },
  );
  if (!out.success) {
    throw new Problem(
      orderProblems.EXECUTION_FAILED,
      out.error ?? "the provider failed; the payment was refunded",
      { extensions: { order_id: out.order_id } },
    );
  }
  return {
    success: true,
    order_id: out.order_id,
    result: out.result,
    receipt: out.aimp_receipt,
    peac_receipt: out.peac_receipt?.jws ?? null,
    price: { amount: minorToDecimal(out.amount_minor, 6), asset: cap.service.pricing.asset },
    latency_ms: out.latency_ms,
  };
}

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});

/** The tools every agent gets: search, quote, invoke, order_status, pipeline, balance. */
export function coreTools(ctx: AppContext): AgxTool[] {
  return [
    {
      name: "search",
      description:
        "Search the catalogue; returns ranked services with signed quotes for the given input.",
      inputSchema: obj(
        {
          query: { type: "string", minLength: 1, maxLength: 500 },
          budget: { type: "string", pattern: "^[0-9]+(\\.[0-9]{1,6})?$" },
          input: {},
          limit: { type: "integer", minimum: 1, maximum: 20 },
        },
        ["query"],
      ),
      async call(args, actor) {
        const requester_id = requesterIdOf(actor);
        const budget =
          typeof args.budget === "string"
            ? { budget_minor: minorOf(ctx, args.budget, "USDC", "/budget") }
            : {};
        const ranked = (
          await ctx.catalog.search(ctx.db.kysely, String(args.query), {}, budget)
        ).slice(0, Number(args.limit ?? 5));
        const results = [];
        for (const r of ranked) {
          const quote = requester_id
            ? await ctx.db
                .transaction((tx) =>
                  ctx.catalog.quote(tx, {
                    service: r.service,
                    requester_id,
                    ...(args.input !== undefined ? { input: args.input } : {}),
                  }),
                )
                .catch(() => null)
            : null;
          results.push({
            score: r.score,
            reasons: r.reasons,
            service: serviceWire(ctx, r.service),
            quote: quote ? quoteWire(ctx, quote) : null,
          });
        }
        return { results };
      },
    },
    {
      name: "quote",
      description:
        "Quote one call of a service for an input (signed by the hub, expires in minutes).",
      inputSchema: obj(
        {
          service_id: { type: "string", pattern: "^svc_[0-9a-z]{26}$" },
          operation: { type: "string" },
          input: {},
        },
        ["service_id"],
      ),
      async call(args, actor) {
        const caller = keyCallerOf(actor, "a signed quote");
        const service = await ctx.catalog.getService(ctx.db.kysely, String(args.service_id));
        const quote = await ctx.db.transaction((tx) =>
          ctx.catalog.quote(tx, {
            service,
            requester_id: caller.principal.id,
            ...(typeof args.operation === "string" ? { operation: args.operation } : {}),
            ...(args.input !== undefined ? { input: args.input } : {}),
          }),
        );
        return { quote: quoteWire(ctx, quote) };
      },
    },
    {
      name: "invoke",
      description:
        "Invoke a capability (product_id, capability_id as in the manifest); pays from your balance or a channel.",
      inputSchema: obj(
        {
          product_id: { type: "string" },
          capability_id: { type: "string" },
          input: {},
          channel_id: { type: "string", pattern: "^ch_[0-9a-z]{26}$" },
        },
        ["product_id", "capability_id", "input"],
      ),
      async call(args, actor, meta) {
        const cap = await findCapability(
          ctx,
          ctx.db.kysely,
          String(args.product_id),
          String(args.capability_id),
        );
        return invokeCapability(ctx, cap, args.input, actor, {
          ...(typeof args.channel_id === "string" ? { channel_id: args.channel_id } : {}),
          ...(meta ? { meta } : {}),
        });
      },
    },
    {
      name: "order_status",
      description: "The status, payment and receipts of one of your orders.",
      inputSchema: obj({ order_id: { type: "string", pattern: "^ord_[0-9a-z]{26}$" } }, [
        "order_id",
      ]),
      async call(args, actor) {
        const order = await ctx.orders.get(ctx.db.kysely, String(args.order_id));
        const mine =
          actor.kind === "key"
            ? order.buyer_id === actor.caller.principal.id ||
              order.provider_id === actor.caller.principal.id
            : actor.kind === "agent" && order.pairing_id === actor.pairing_id;
        if (!mine) {
          throw new Problem(orderProblems.ORDER_NOT_FOUND, `no order ${args.order_id}`);
        }
        return {
          order: orderWire(ctx, order, await ctx.orders.findPayment(ctx.db.kysely, order.id)),
          receipts: (await ctx.receipts.chainOf(ctx.db.kysely, order.id)).map((r) => ({
            id: r.id,
            kind: r.kind,
          })),
        };
      },
    },
    {
      name: "pipeline",
      description:
        "Run a DAG of paid capability calls (nodes with product_id, capability_id, input or " +
        "input_from pointers, depends_on) within a budget; answers the result and a signed bill " +
        "of materials, or the job to poll when it takes longer.",
      inputSchema: PipelineBody as unknown as Record<string, unknown>,
      async call(args, actor) {
        const caller = keyCallerOf(actor, "a pipeline");
        requireWrite(caller);
        const b = args as unknown as Static<typeof PipelineBody>;
        const spec: PipelineRequest = {
          owner_id: caller.principal.id,
          nodes: b.nodes,
          on_failure: b.on_failure ?? "stop",
          budget: b.budget ?? null,
          source: b.channel_id
            ? { kind: "channel", channel_id: b.channel_id }
            : { kind: "balance" },
          client_key: null,
        };
        const flows = ctx.pipelineFlows;
        const { job } = await ctx.db.transaction((tx) =>
          flows.submit(tx, spec, (ex, node) =>
            findCapability(ctx, ex, node.product_id, node.capability_id),
          ),
        );
        if (job.status === "running") {
          void flows.run(job.id);
          await flows.wait(job.id, pipelineLimits.sync_wait_ms_max);
        }
        const { page } = await flows.view(ctx.db.kysely, job.id, spec.owner_id);
        if (page.result) return page.result as Record<string, unknown>;
        return {
          job_id: page.job_id,
          status: page.status,
          progress: page.progress,
          links: page.links,
        };
      },
    },
    {
      name: "balance",
      description:
        "Your balances per asset (posted, held and available); for a paired agent, its " +
        "pairing's policy and spend so far.",
      inputSchema: obj({}),
      async call(_args, actor) {
        if (actor.kind === "agent") {
          const pairing = await ctx.delegation.get(
            ctx.db.kysely,
            actor.machine_id,
            actor.pairing_id,
          );
          const spend = await ctx.delegation.spendOf(
            ctx.db.kysely,
            [actor.pairing_id],
            ctx.clock.now_ms(),
          );
          return { pairing: pairingWire(ctx, { pairing, spend }) };
        }
        const caller = keyCallerOf(actor, "a balance");
        return {
          accounts: (await ctx.ledger.accountsOf(ctx.db.kysely, caller.principal.id)).map((a) =>
            accountWire(ctx, a),
          ),
        };
      },
    },
  ];
}
