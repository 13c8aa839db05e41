import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { headOf } from "../../src/flows/x402-reconcile.ts";
import { createChainClients, x402Limits } from "../../src/x402/index.ts";
import { startX402Chain, type X402Chain } from "../support/x402-chain.ts";

const chain: X402Chain | null = await startX402Chain({ chain_id: 31_338 });
// An RPC endpoint in trouble: it takes requests and never answers.
const stalled = createServer(() => {});
await new Promise<void>((r) => stalled.listen(0, "127.0.0.1", r));
const stalledUrl = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
afterAll(async () => {
  stalled.closeAllConnections();
  stalled.close();
  await chain?.stop();
});
const run = chain ? describe : describe.skip;

run("the head a paid call writes its reconciliation ahead from", () => {
  it("does not wait on a stalled RPC endpoint: the last head seen stands in (none seen: 0)", async () => {
    const c = chain as X402Chain;
    const down = createChainClients({ rpc_urls: { [c.network]: stalledUrl } });
    const up = createChainClients({ rpc_urls: { [c.network]: c.rpc_url } });
    const started = Date.now();
    expect(await headOf(down, c.network, { recent: true })).toBe(0n);
    // Bounded by the wait, not by the RPC timeout (a bound, not a timing claim).
    expect(Date.now() - started).toBeLessThan(x402Limits.rpc_timeout_ms);
    await c.mine(3);
    const head = await c.pub.getBlockNumber({ cacheTime: 0 });
    expect(await headOf(up, c.network, { recent: true })).toBe(head);
    await c.mine(2);
    // Older than the chain's head now, so still a lower bound for a later search.
    expect(await headOf(down, c.network, { recent: true })).toBe(head);
    expect(await headOf(up, c.network)).toBe(head + 2n);
    expect(await headOf(undefined, c.network, { recent: true })).toBe(0n);
  });
});
