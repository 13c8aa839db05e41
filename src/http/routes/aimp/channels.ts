import { Type } from "@sinclair/typebox";
import { channelProblems } from "../../../channels/index.ts";
import { isoOf } from "../../../kernel/clock.ts";
import { minorToDecimal } from "../../../kernel/money.ts";
import { Problem } from "../../../kernel/problem.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { AssetCode, DecimalAmount } from "../../schemas.ts";
import { decimalsOf, minorOf } from "../../wire.ts";

type Channel = Awaited<ReturnType<AppContext["channels"]["list"]>>[number];

function channelWire(ctx: AppContext, c: Channel, balance_minor?: bigint) {
  const d = decimalsOf(ctx, c.asset);
  return {
    channel_id: c.id,
    status: c.status,
    asset: c.asset,
    deposit: minorToDecimal(c.deposit_minor, d),
    deposit_usd: Number(minorToDecimal(c.deposit_minor, d)),
    ...(balance_minor !== undefined
      ? {
          balance: minorToDecimal(balance_minor, d),
          balance_usd: Number(minorToDecimal(balance_minor, d)),
        }
      : {}),
    expires_at: isoOf(c.expires_at_ms),
    created_at: isoOf(c.created_at_ms),
  };
}

/** AIMP payment channels on the hub's ledger: open with a deposit, close to settle. */
export default function aimpChannels(app: App, ctx: AppContext) {
  app.post(
    "/ai-market/channel/open",
    {
      config: { access: "write" },
      schema: {
        summary: "Open a payment channel with a deposit from your balance (expires in 24 h)",
        tags: ["ai-market"],
        operationId: "openChannel",
        security: [{ apiKey: [] }],
        body: Type.Object(
          { deposit: DecimalAmount, asset: Type.Optional(AssetCode) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 201, async (tx) => {
        const asset = request.body.asset ?? "USDC";
        const deposit_minor = minorOf(ctx, request.body.deposit, asset, "/deposit");
        const channel = await ctx.channelFlows.open(tx, {
          owner_id: callerOf(request).principal.id,
          asset,
          deposit_minor,
        });
        return { channel: channelWire(ctx, channel, deposit_minor) };
      }),
  );

  app.post(
    "/ai-market/channel/close",
    {
      config: { access: "write" },
      schema: {
        summary: "Close your channel: the unused balance returns to you",
        tags: ["ai-market"],
        operationId: "closeChannel",
        security: [{ apiKey: [] }],
        body: Type.Object(
          { channel_id: Type.String({ pattern: "^ch_[0-9a-z]{26}$" }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 200, async (tx) => {
        const channel = await ctx.channels.get(tx, request.body.channel_id);
        if (!channel || channel.owner_id !== callerOf(request).principal.id) {
          throw new Problem(
            channelProblems.CHANNEL_NOT_FOUND,
            `no channel ${request.body.channel_id} of yours`,
          );
        }
        const s = await ctx.channelFlows.end(tx, channel, "closed");
        const d = decimalsOf(ctx, channel.asset);
        return {
          settlement: {
            channel_id: channel.id,
            used: minorToDecimal(s.used_minor, d),
            refund: minorToDecimal(s.refund_minor, d),
            used_usd: Number(minorToDecimal(s.used_minor, d)),
            refund_usd: Number(minorToDecimal(s.refund_minor, d)),
          },
        };
      }),
  );

  app.get(
    "/ai-market/channels",
    {
      config: { access: "read" },
      schema: {
        summary: "My payment channels",
        tags: ["ai-market"],
        operationId: "listChannels",
        security: [{ apiKey: [] }],
      },
    },
    async (request) => {
      const items = [];
      for (const c of await ctx.channels.list(ctx.db.kysely, callerOf(request).principal.id)) {
        const account = await ctx.ledger.accountsOf(ctx.db.kysely, c.id);
        items.push(channelWire(ctx, c, account[0]?.available_minor ?? 0n));
      }
      return { items };
    },
  );
}
