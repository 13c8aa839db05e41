import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";

const Reply = Type.Object({
  assets: Type.Array(Type.Object({ code: Type.String(), decimals: Type.Integer() })),
  hubFeeBps: Type.Integer(),
  onchainDeposit: Type.Union([
    Type.Object({
      network: Type.String({ description: "CAIP-2 network of the token" }),
      token: Type.String({ description: "ERC-20 contract address" }),
      payTo: Type.String({ description: "The hub's address to send the token to" }),
      ledgerAsset: Type.String(),
    }),
    Type.Null(),
  ]),
});

/**
 * What the console shows that only the hub's configuration knows: assets, the hub fee and how to
 * deposit on chain (POST /api/v1/deposits/onchain), when the hub takes on-chain deposits.
 */
export default function consoleConfig(app: App, ctx: AppContext) {
  app.get(
    "/api/v1/console/config",
    {
      config: { access: "read" },
      schema: {
        summary: "Console settings: assets, hub fee and on-chain deposit instructions",
        tags: ["session"],
        operationId: "getConsoleConfig",
        security: [{ apiKey: [] }, { consoleSession: [] }],
        response: { 200: Reply },
      },
    },
    async () => {
      const c = ctx.config;
      const onchain = (c.evm_rpc_url ?? c.x402_rpc_url) !== null && c.x402_pay_to !== null;
      return {
        assets: c.assets.map((a) => ({ code: a.code, decimals: a.decimals })),
        hubFeeBps: c.hub_fee_bps,
        onchainDeposit:
          onchain && c.x402_pay_to
            ? {
                network: c.x402_network,
                token: c.x402_asset,
                payTo: c.x402_pay_to,
                ledgerAsset: c.x402_ledger_asset,
              }
            : null,
      };
    },
  );
}
