import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientExitCodes } from "../../src/cli/hub-client.ts";
import { newId } from "../../src/kernel/ids.ts";
import {
  getEscrowAction,
  insertEscrowAction,
  moveEscrowAction,
} from "../../src/x402/escrow-actions.ts";
import { type ListeningHub, startListeningHub } from "../sdk/support.ts";
import { agx } from "./harness.ts";

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

describe("agx escrow list and retry: the operator's on-chain escrow releases and refunds", () => {
  let h: ListeningHub;
  let admin: Record<string, string>;
  let agent: Record<string, string>;
  const failed = newId("ord");
  const done = newId("ord");
  beforeAll(async () => {
    h = await startListeningHub();
    admin = { AGX_URL: h.url, AGX_KEY: h.t.adminKey };
    agent = { AGX_URL: h.url, AGX_KEY: (await h.agent()).key };
    const db = h.t.hub.ctx.db.kysely;
    const base = {
      chain: "eip155:31337",
      escrow_address: "0x00000000000000000000000000000000000000e5",
      order_ref: `0x${"ab".repeat(32)}`,
      actor_id: "system",
      reason: "test",
    } as const;
    for (const [order_id, action] of [
      [failed, "refund"],
      [done, "release"],
    ] as const) {
      await insertEscrowAction(db, { ...base, order_id, action, now_ms: Date.now() });
    }
    await moveEscrowAction(db, {
      order_id: failed,
      to: "failed",
      now_ms: Date.now(),
      error_code: "ESCROW_REVERTED",
      error: "the escrow refused the refund",
    });
    await moveEscrowAction(db, {
      order_id: done,
      to: "done",
      now_ms: Date.now(),
      tx_hash: `0x${"cd".repeat(32)}`,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("lists every action, or only the failed ones with their error", async () => {
    const all = await agx(["escrow", "list"], admin);
    expect(all.code, all.err).toBe(0);
    expect(all.out).toMatch(/^order\s+action\s+state\s+attempts\s+tx \/ error\s+updated\n/);
    expect(all.out).toMatch(new RegExp(`${done}\\s+release\\s+done\\s+0\\s+0x(cd){32}`));
    const only = await agx(["escrow", "list", "--state", "failed", "--json"], admin);
    const page = JSON.parse(only.out) as { items: { order_id: string; error_code: string }[] };
    expect(page.items).toEqual([
      expect.objectContaining({ order_id: failed, error_code: "ESCROW_REVERTED" }),
    ]);
    expect((await agx(["escrow", "list", "--state", "broadcast"], admin)).out).toBe(
      "no broadcast escrow actions\n",
    );
  });

  it("retries a failed action (pending again); a done one or an unknown order is refused", async () => {
    const r = await agx(["escrow", "retry", failed], admin);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`pending refund of ${failed}: queued to be sent again on eip155:31337\n`);
    const again = await getEscrowAction(h.t.hub.ctx.db.kysely, failed);
    expect(again?.error_code).toBeNull();
    const notFailed = await agx(["escrow", "retry", done], admin);
    expect(notFailed.code).toBe(clientExitCodes.problem);
    expect(notFailed.err).toContain("ESCROW_ACTION_NOT_FAILED");
    const unknown = await agx(["escrow", "retry", newId("ord")], admin);
    expect(unknown.code).toBe(clientExitCodes.problem);
    expect(unknown.err).toContain("ESCROW_ACTION_NOT_FOUND");
  });

  it("refuses an agent's key and a bad --state before calling the hub", async () => {
    const denied = await agx(["escrow", "list"], agent);
    expect(denied.code).toBe(clientExitCodes.problem);
    expect(denied.err).toMatch(/FORBIDDEN/);
    const bad = await agx(["escrow", "list", "--state", "lost"], admin);
    expect(bad.code).toBe(clientExitCodes.usage);
    expect(bad.err).toContain("--state lost: one of pending, broadcast, done, failed");
  });
});
