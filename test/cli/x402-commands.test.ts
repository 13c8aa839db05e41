import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientExitCodes } from "../../src/cli/hub-client.ts";
import { newId } from "../../src/kernel/ids.ts";
import { endPendingSettlement, insertPendingSettlement } from "../../src/x402/index.ts";
import { type ListeningHub, startListeningHub } from "../sdk/support.ts";
import { agx } from "./harness.ts";

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

describe("agx x402 settlements: every x402 payment's settlement record, for the operator", () => {
  let h: ListeningHub;
  let admin: Record<string, string>;
  let agent: Record<string, string>;
  const open = newId("ord");
  const booked = newId("ord");
  const forever = newId("ord");
  const tx_hash = `0x${"cd".repeat(32)}` as const;
  beforeAll(async () => {
    h = await startListeningHub();
    admin = { AGX_URL: h.url, AGX_KEY: h.t.adminKey };
    agent = { AGX_URL: h.url, AGX_KEY: (await h.agent()).key };
    const db = h.t.hub.ctx.db.kysely;
    for (const order_id of [open, booked, forever]) {
      await insertPendingSettlement(db, {
        order_id,
        buyer_id: "prn_buyer",
        network: "eip155:31337",
        token: "0x00000000000000000000000000000000000000a1",
        pay_to: "0x00000000000000000000000000000000000000b2",
        authorizer: "0x00000000000000000000000000000000000000c3",
        nonce: `0x${"ab".repeat(32)}`,
        // A payer may sign a validBefore beyond any date.
        valid_before: order_id === forever ? 10n ** 19n : 1_900_000_000n,
        amount_atomic: 20_000n,
        tx_hash: null,
        from_block: 7n,
        payment_id: null,
        payload_sha256: null,
        created_at_ms: Date.now(),
      });
    }
    await endPendingSettlement(db, {
      order_id: booked,
      state: "settled",
      tx_hash,
      now_ms: Date.now(),
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("lists every record, or those of one state", async () => {
    const all = await agx(["x402", "settlements"], admin);
    expect(all.code, all.err).toBe(0);
    expect(all.out).toMatch(/^id\s+state\s+network\s+amount \(atomic\)\s+valid before\s+tx\n/);
    expect(all.out).toMatch(
      new RegExp(`${open}\\s+pending\\s+eip155:31337\\s+20000\\s+2030-03-17T17:46:40\\s+-`),
    );
    expect(all.out).toMatch(new RegExp(`${booked}\\s+settled\\s+.*${tx_hash}`));
    expect(all.out).toMatch(
      new RegExp(`${forever}\\s+pending\\s+.*\\s+10000000000000000000 s\\s+-`),
    );
    const only = await agx(["x402", "settlements", "--state", "pending", "--json"], admin);
    const page = JSON.parse(only.out) as { items: { id: string; valid_before: string | null }[] };
    expect(page.items.map((i) => [i.id, i.valid_before])).toEqual(
      [
        [open, "2030-03-17T17:46:40.000Z"],
        [forever, null],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect((await agx(["x402", "settlements", "--state", "released"], admin)).out).toBe(
      "no released x402 settlements\n",
    );
  });

  it("refuses an agent's key and a bad --state or --limit before calling the hub", async () => {
    const denied = await agx(["x402", "settlements"], agent);
    expect(denied.code).toBe(clientExitCodes.problem);
    expect(denied.err).toMatch(/FORBIDDEN/);
    const bad = await agx(["x402", "settlements", "--state", "lost"], admin);
    expect(bad.code).toBe(clientExitCodes.usage);
    expect(bad.err).toContain("--state lost: one of pending, settled, released");
    const many = await agx(["x402", "settlements", "--limit", "500"], admin);
    expect(many.code).toBe(clientExitCodes.usage);
  });
});
