import { newId } from "../../src/kernel/ids.ts";
import { AgxClient } from "../../src/sdk/index.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

/** An in-process hub listening on 127.0.0.1, with helpers to make funded agents over HTTP. */
export interface ListeningHub {
  t: TestHub;
  url: string;
  admin: AgxClient;
  /** A new agent (SDK client with its key), funded with `funds` USDC when given. */
  agent(funds?: string): Promise<{ id: string; key: string; client: AgxClient }>;
  close(): Promise<void>;
}

export async function startListeningHub(): Promise<ListeningHub> {
  const t = await startTestHub();
  const url = await t.hub.listen();
  const admin = new AgxClient({ url, apiKey: t.adminKey });
  return {
    t,
    url,
    admin,
    async agent(funds) {
      const handle = `sdk${Math.random().toString(36).slice(2, 10)}`;
      const reg = await new AgxClient({ url }).registerAgent({ handle });
      if (funds) {
        await admin.request("POST", "/api/v1/admin/deposits", {
          body: { id: newId("dep"), owner_id: reg.agent.id, amount: funds, asset: "USDC" },
        });
      }
      const client = new AgxClient({ url, apiKey: reg.apiKey });
      return { id: reg.agent.id, key: reg.apiKey, client };
    },
    close: () => t.close(),
  };
}

/** The available USDC of an agent, in minor units. */
export async function availableMinor(client: AgxClient): Promise<bigint> {
  const { items } = await client.balances();
  const a = items.find((x) => x.kind === "available" && x.asset === "USDC");
  return BigInt(a?.available_minor ?? "0");
}

export const STATS = { product: "builtin-text-stats-analyze", capability: "analyze@v1" };
