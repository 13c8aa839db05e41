import { big, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { AgxMigration } from "../db/migrate.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { defineProblems, Problem } from "../kernel/problem.ts";

/**
 * Payment channels (AI Market Protocol): a deposit locked for many small calls. The money sits
 * in a ledger account owned by the channel itself, so "a channel never goes below zero" is the
 * ledger's own guarded debit. This module keeps the channel's lifecycle; flows move the money.
 * Concurrency: open → closed|expired is a guarded update, so a close racing an expiry has one
 * winner and the refund happens once.
 */

export type ChannelStatus = "open" | "closed" | "expired";

export interface Channel {
  id: string;
  owner_id: string;
  asset: string;
  deposit_minor: bigint;
  status: ChannelStatus;
  expires_at_ms: number;
  created_at_ms: number;
  closed_at_ms: number | null;
}

export const channelProblems = defineProblems({
  CHANNEL_NOT_FOUND: { status: 404, title: "The payment channel does not exist" },
  CHANNEL_CLOSED: { status: 409, title: "The payment channel is closed or expired" },
  CHANNEL_INSUFFICIENT: { status: 402, title: "The payment channel's balance is too low" },
});

type Int = number | bigint;
interface ChannelRow {
  id: string;
  owner_id: string;
  asset: string;
  deposit_minor: Int;
  status: string;
  expires_at_ms: Int;
  created_at_ms: Int;
  closed_at_ms: Int | null;
}
const q = (ex: Executor) => tablesOf<{ channels: ChannelRow }>(ex);
const toChannel = (r: ChannelRow): Channel => ({
  ...r,
  deposit_minor: big(r.deposit_minor),
  status: r.status as ChannelStatus,
  expires_at_ms: num(r.expires_at_ms),
  created_at_ms: num(r.created_at_ms),
  closed_at_ms: numOrNull(r.closed_at_ms),
});

export const channelMigrations: Record<string, AgxMigration> = {
  "0610_channels": {
    async up(db) {
      await db.schema
        .createTable("channels")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("asset", "text", (c) => c.notNull())
        .addColumn("deposit_minor", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("expires_at_ms", "bigint", (c) => c.notNull())
        .addColumn("created_at_ms", "bigint", (c) => c.notNull())
        .addColumn("closed_at_ms", "bigint")
        .execute();
      await db.schema
        .createIndex("channels_owner")
        .on("channels")
        .columns(["owner_id", "id"])
        .execute();
    },
  },
};

/** Channel lifecycle; money moves in flows/channels.ts. */
export function createChannels(deps: { clock: Clock }) {
  const { clock } = deps;

  async function open(
    tx: Executor,
    spec: { owner_id: string; asset: string; deposit_minor: bigint; ttl_ms: number },
  ) {
    const now_ms = clock.now_ms();
    const channel: Channel = {
      id: newId("ch", now_ms),
      owner_id: spec.owner_id,
      asset: spec.asset,
      deposit_minor: spec.deposit_minor,
      status: "open",
      expires_at_ms: now_ms + spec.ttl_ms,
      created_at_ms: now_ms,
      closed_at_ms: null,
    };
    await q(tx).insertInto("channels").values(channel).execute();
    return channel;
  }

  async function get(ex: Executor, id: string): Promise<Channel | null> {
    const row = await q(ex)
      .selectFrom("channels")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toChannel(row) : null;
  }

  /** The caller's open, unexpired channel, or the problem that says why not. */
  async function usable(ex: Executor, id: string, owner_id: string): Promise<Channel> {
    const channel = await get(ex, id);
    if (!channel || channel.owner_id !== owner_id) {
      throw new Problem(channelProblems.CHANNEL_NOT_FOUND, `no channel ${id} of yours`);
    }
    if (channel.status !== "open" || channel.expires_at_ms <= clock.now_ms()) {
      throw new Problem(channelProblems.CHANNEL_CLOSED, `channel ${id} is ${channel.status}`);
    }
    return channel;
  }

  /** Ends a channel (guarded); false when it had already ended. */
  async function end(tx: Executor, id: string, status: "closed" | "expired"): Promise<boolean> {
    const r = await q(tx)
      .updateTable("channels")
      .set({ status, closed_at_ms: clock.now_ms() })
      .where("id", "=", id)
      .where("status", "=", "open")
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async function list(ex: Executor, owner_id: string): Promise<Channel[]> {
    const rows = await q(ex)
      .selectFrom("channels")
      .selectAll()
      .where("owner_id", "=", owner_id)
      .orderBy("id", "desc")
      .limit(200)
      .execute();
    return rows.map(toChannel);
  }

  return { open, get, usable, end, list };
}

export type Channels = ReturnType<typeof createChannels>;
