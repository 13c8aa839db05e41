import { Type } from "@sinclair/typebox";
import { machineSearchContext, policyAllows } from "../../../flows/agent-search.ts";
import { newId } from "../../../kernel/ids.ts";
import { limits } from "../../../kernel/limits.ts";
import { HUB_VIEWER } from "../../../machines/index.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { pairingTokenOf, purchaserOf } from "../../purchaser.ts";
import { AgentHeader, AssetCode, DecimalAmount } from "../../schemas.ts";
import { minorOf } from "../../wire.ts";
import { filterOf, ServiceFilterQuery } from "./services.ts";
import { QuoteWire, quoteWire, ServiceWire, SkillKey, serviceWire } from "./wire.ts";

const { limit: _l, cursor: _c, ...FilterFields } = ServiceFilterQuery.properties;

const Body = Type.Object(
  {
    query: Type.Optional(Type.String({ maxLength: limits.search_query_chars_max })),
    filters: Type.Optional(Type.Object(FilterFields, { additionalProperties: false })),
    context: Type.Optional(
      Type.Object(
        {
          region: Type.Optional(Type.String({ maxLength: 40 })),
          skill_keys: Type.Optional(Type.Array(SkillKey, { maxItems: 32 })),
          budget: Type.Optional(
            Type.Object(
              { amount: DecimalAmount, asset: AssetCode },
              { additionalProperties: false },
            ),
          ),
          max_latency_ms: Type.Optional(Type.Integer({ minimum: 1 })),
          min_trust: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    operation: Type.Optional(Type.String({ maxLength: 40 })),
    input: Type.Optional(Type.Unknown()),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: limits.search_results_max, default: 10 }),
    ),
  },
  { additionalProperties: false },
);

const Reply = Type.Object({
  id: Type.String({ description: "searchId" }),
  status: Type.Union([Type.Literal("ok"), Type.Literal("no_match")]),
  quotes: Type.Array(
    Type.Object({
      score: Type.Number(),
      reasons: Type.Array(Type.String()),
      service: ServiceWire,
      quote: Type.Union([QuoteWire, Type.Null()]),
      quote_unavailable: Type.Optional(Type.String()),
    }),
  ),
});

/** peaq's market search: ranked, signed quotes for the best matching services. */
export default function searchRoute(app: App, ctx: AppContext) {
  app.post(
    "/api/v1/market/search",
    {
      config: { access: "read_or_agent" },
      schema: {
        summary: "Search the catalogue; returns ranked quotes with reasons",
        description:
          "A paired agent (x-agent-pairing-token) searches for its machine: the machine's region " +
          "and skill keys rank the quotes, and services its delegation policy refuses are left out.",
        tags: ["catalog"],
        operationId: "marketSearch",
        security: [{ apiKey: [] }, { agentPairingToken: [] }],
        headers: AgentHeader,
        body: Body,
        response: { 200: Reply },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const c = b.context ?? {};
      const context = {
        ...(c.region ? { region: c.region } : {}),
        ...(c.skill_keys ? { skill_keys: c.skill_keys } : {}),
        ...(c.budget
          ? {
              budget_minor: minorOf(ctx, c.budget.amount, c.budget.asset, "/context/budget/amount"),
            }
          : {}),
        ...(c.max_latency_ms ? { max_latency_ms: c.max_latency_ms } : {}),
        ...(c.min_trust !== undefined ? { min_trust: c.min_trust } : {}),
      };
      const agent =
        pairingTokenOf(request) !== undefined
          ? await purchaserOf(ctx, ctx.db.kysely, request, { recheck: false })
          : null;
      const machine = agent?.delegated
        ? await ctx.machines.get(ctx.db.kysely, HUB_VIEWER, agent.delegated.machine_id)
        : null;
      const policy = agent?.delegated?.policy;
      const limit = b.limit ?? 10;
      // A delegation policy filters after ranking, so it needs every ranked service in full.
      let ranked = await ctx.catalog.search(
        ctx.db.kysely,
        b.query ?? "",
        filterOf(ctx, b.filters ?? {}),
        machine ? machineSearchContext(machine, context) : context,
        policy ? {} : { limit },
      );
      if (policy) {
        const now_ms = ctx.clock.now_ms();
        ranked = ranked.filter((r) => policyAllows(policy, r.service, now_ms));
      }
      const top = ranked.slice(0, limit);
      const requester = agent?.buyer_id ?? request.caller?.principal.id ?? null;
      return writeTx(ctx, request, reply, 200, async (tx) => {
        const outcomes = await ctx.catalog.quoteAll(
          tx,
          top.map((r) => ({
            service: r.service,
            requester_id: requester,
            ...(b.operation ? { operation: b.operation } : {}),
            ...(b.input !== undefined ? { input: b.input } : {}),
          })),
        );
        const quotes = top.map((r, i) => {
          const o = outcomes[i];
          const base = { score: r.score, reasons: r.reasons, service: serviceWire(ctx, r.service) };
          if (o && "quote" in o) return { ...base, quote: quoteWire(ctx, o.quote) };
          return { ...base, quote: null, quote_unavailable: o?.problem.message ?? "cannot quote" };
        });
        return {
          id: newId("srch"),
          status: quotes.length ? ("ok" as const) : ("no_match" as const),
          quotes,
        };
      });
    },
  );
}
