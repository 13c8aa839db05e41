import type { Channel, Channels } from "../channels/index.ts";
import { channelProblems } from "../channels/index.ts";
import type { Tx } from "../db/db.ts";
import { type Clock, isoOf } from "../kernel/clock.ts";
import { limits } from "../kernel/limits.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { type Ledger, transferProblem } from "../ledger/index.ts";
import type { Outbox } from "../outbox/index.ts";
import type { WebhookFlows } from "./webhooks.ts";

export const TOPIC_CHANNEL_EXPIRE = "channel.expire";

/** Opening (deposit), closing and expiring payment channels, with their ledger movements. */
export function createChannelFlows(deps: {
  clock: Clock;
  ledger: Ledger;
  channels: Channels;
  outbox: Outbox;
  /** Tells the channel's owner when it opens and ends (`channel.updated`), when wired. */
  webhooks?: Pick<WebhookFlows, "emit">;
}) {
  const { ledger, channels } = deps;
  const notify = (tx: Tx, c: Channel, status: string, extra: Record<string, unknown> = {}) =>
    deps.webhooks?.emit(tx, {
      to: [c.owner_id],
      type: "channel.updated",
      data: {
        channelId: c.id,
        status,
        asset: c.asset,
        depositMinor: c.deposit_minor.toString(),
        expiresAt: isoOf(c.expires_at_ms),
        ...extra,
      },
    });

  /** Locks a deposit from the owner's balance into a new channel that expires on its own. */
  async function open(
    tx: Tx,
    spec: { owner_id: string; asset: string; deposit_minor: bigint; ttl_ms?: number },
  ) {
    const channel = await channels.open(tx, {
      ...spec,
      ttl_ms: spec.ttl_ms ?? limits.channel_ttl_ms,
    });
    const from = await ledger.openAccount(tx, {
      owner_id: spec.owner_id,
      asset: spec.asset,
      kind: "available",
    });
    const into = await ledger.openAccount(tx, {
      owner_id: channel.id,
      asset: spec.asset,
      kind: "escrow",
    });
    const r = await ledger.transfer(tx, {
      op: "transfer",
      id: `${channel.id}.deposit`,
      debit_account_id: from.id,
      credit_account_id: into.id,
      amount_minor: spec.deposit_minor,
      asset: spec.asset,
      code: "channel_deposit",
    });
    if (r.result !== "created") throw transferProblem(r);
    await deps.outbox.enqueue(tx, {
      topic: TOPIC_CHANNEL_EXPIRE,
      payload: { channel_id: channel.id },
      due_at_ms: channel.expires_at_ms,
      dedupe_key: `channel_expire:${channel.id}`,
    });
    await notify(tx, channel, "open");
    return channel;
  }

  /** What is left in a channel and what is still held by in-flight calls. */
  async function balanceOf(tx: Tx, channel: Channel) {
    const account = await ledger.openAccount(tx, {
      owner_id: channel.id,
      asset: channel.asset,
      kind: "escrow",
    });
    return {
      account,
      available_minor: account.available_minor,
      pending_minor: account.pending_debits_minor,
    };
  }

  /**
   * Ends a channel: the unused balance returns to the owner, once (guarded status change).
   * Refused while a call still holds money from it, so a late refund cannot land in a closed one.
   */
  async function end(tx: Tx, channel: Channel, how: "closed" | "expired") {
    const { account, available_minor, pending_minor } = await balanceOf(tx, channel);
    if (pending_minor > 0n) {
      throw new Problem(
        kernelProblems.CONFLICT,
        `channel ${channel.id} has calls in flight; retry shortly`,
      );
    }
    if (!(await channels.end(tx, channel.id, how))) {
      throw new Problem(channelProblems.CHANNEL_CLOSED, `channel ${channel.id} has already ended`);
    }
    if (available_minor > 0n) {
      const owner = await ledger.openAccount(tx, {
        owner_id: channel.owner_id,
        asset: channel.asset,
        kind: "available",
      });
      const r = await ledger.transfer(tx, {
        op: "transfer",
        id: `${channel.id}.refund`,
        debit_account_id: account.id,
        credit_account_id: owner.id,
        amount_minor: available_minor,
        asset: channel.asset,
        code: "channel_refund",
      });
      if (r.result !== "created" && r.result !== "exists") throw transferProblem(r);
    }
    await deps.outbox.cancel(tx, `channel_expire:${channel.id}`);
    const used_minor = channel.deposit_minor - available_minor;
    await notify(tx, channel, how, {
      usedMinor: used_minor.toString(),
      refundMinor: available_minor.toString(),
    });
    return { used_minor, refund_minor: available_minor };
  }

  return { open, end, balanceOf };
}

export type ChannelFlows = ReturnType<typeof createChannelFlows>;
