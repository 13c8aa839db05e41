import { Type } from "@sinclair/typebox";
import { creditTransferProof } from "../../../flows/x402.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import { orderProblems } from "../../../orders/index.ts";
import { createProofVerifier, type Hex } from "../../../x402/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { DecimalAmount } from "../../schemas.ts";
import { minorOf } from "../../wire.ts";

const Body = Type.Object(
  {
    tx_hash: Type.String({ pattern: "^0x[0-9a-fA-F]{64}$" }),
    from: Type.String({ pattern: "^0x[0-9a-fA-F]{40}$", description: "The sending address" }),
    amount: DecimalAmount,
    chain: Type.Optional(
      Type.String({ pattern: "^eip155:[0-9]{1,12}$", description: "CAIP-2; default the hub's" }),
    ),
  },
  { additionalProperties: false },
);

/**
 * peaq's `wdk-usdt-transfer` rail as a deposit: the agent sends the token to the hub's address
 * itself, then proves it with the transaction hash. agx reads the receipt and the ERC-20
 * `Transfer` log over RPC (token, sender, recipient, exact amount, confirmations) and credits the
 * caller once; a hash credits one principal, ever, and only one whose key binding proves it
 * controls the sending address.
 */
export default function onchainDeposit(app: App, ctx: AppContext) {
  const c = ctx.config;
  const rpc = c.evm_rpc_url ?? c.x402_rpc_url;
  const verifier =
    rpc && c.x402_pay_to
      ? createProofVerifier({
          rpc_urls: { [c.x402_network]: rpc },
          confirmations_min: c.evm_confirmations,
        })
      : null;
  app.post(
    "/api/v1/deposits/onchain",
    {
      config: { access: "write" },
      schema: {
        summary: "Credit your balance with an ERC-20 transfer to the hub, proven by its tx hash",
        tags: ["balances"],
        operationId: "depositOnchain",
        security: [{ apiKey: [] }],
        body: Body,
      },
    },
    async (request, reply) => {
      if (!verifier || !c.x402_pay_to) {
        throw new Problem(
          orderProblems.PAYMENT_RAIL_UNSUPPORTED,
          "this hub takes no on-chain deposits (AGX_X402_PAY_TO and an RPC URL are not set)",
        );
      }
      const b = request.body;
      const chain = b.chain ?? c.x402_network;
      if (chain !== c.x402_network) {
        throw new Problem(orderProblems.PAYMENT_RAIL_UNSUPPORTED, `no deposits on ${chain}`);
      }
      const owner_id = callerOf(request).principal.id;
      // Anyone can see a transfer to the hub on chain; only the sender's own principal may
      // claim it, proven by a key binding of that address (POST /api/v1/key-bindings).
      const bound = await ctx.machines.bindings.list(ctx.db.kysely, owner_id);
      if (!bound.some((k) => k.address?.toLowerCase() === b.from.toLowerCase())) {
        throw new Problem(
          kernelProblems.FORBIDDEN,
          `bind ${b.from} to your account first (POST /api/v1/key-bindings/challenges)`,
        );
      }
      const asset = c.x402_ledger_asset;
      const out = await creditTransferProof(
        { db: ctx.db, ledger: ctx.ledger, verifier, clock: ctx.clock },
        {
          owner_id,
          asset,
          proof: {
            chain,
            tx_hash: b.tx_hash.toLowerCase() as Hex,
            token: c.x402_asset as Hex,
            from: b.from as Hex,
            to: c.x402_pay_to as Hex,
            amount_raw: minorOf(ctx, b.amount, asset, "/amount"),
          },
        },
      );
      reply.code(out.deposit === "created" ? 201 : 200);
      return {
        deposit: out.deposit,
        chain,
        tx_hash: out.verified.tx_hash,
        block_number: out.verified.block_number.toString(),
        confirmations: out.verified.confirmations.toString(),
        amount: b.amount,
        asset,
      };
    },
  );
}
