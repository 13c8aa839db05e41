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
  it("waits for the first head it sees on a chain; after that, a stalled RPC endpoint is not waited for: the last head seen stands in", async () => {
    const c = chain as X402Chain;
    // A short RPC timeout, so the first read's failure comes quickly.
    const down = createChainClients({ rpc_urls: { [c.network]: stalledUrl }, rpc_timeout_ms: 300 });
    const up = createChainClients({ rpc_urls: { [c.network]: c.rpc_url } });
    // No head seen yet: the read is waited for, and its failure leaves 0 (search from the start).
    expect(await headOf(down, c.network, { recent: true })).toBe(0n);
    await c.mine(3);
    const head = await c.pub.getBlockNumber({ cacheTime: 0 });
    expect(await headOf(up, c.network, { recent: true })).toBe(head);
    await c.mine(2);
    // With the client's own timeout far away, the stand-in answers: older than the chain's head
    // now, so still a lower bound for a later search.
    const slow = createChainClients({ rpc_urls: { [c.network]: stalledUrl } });
    const started = Date.now();
    expect(await headOf(slow, c.network, { recent: true })).toBe(head);
    // Bounded by the wait, not by the RPC timeout (a bound, not a timing claim).
    expect(Date.now() - started).toBeLessThan(x402Limits.rpc_timeout_ms);
    expect(await headOf(up, c.network)).toBe(head + 2n);
    expect(await headOf(undefined, c.network, { recent: true })).toBe(0n);
  });
});
