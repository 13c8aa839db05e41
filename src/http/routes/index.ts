import type { Sessions } from "../../sessions/index.ts";
import type { App } from "../app.ts";
import type { AppContext } from "../context.ts";
import adminCreatePrincipal from "./admin/create-principal.ts";
import adminDeposit from "./admin/deposit.ts";
import adminEscrowActions from "./admin/escrow-actions.ts";
import adminTransfers from "./admin/transfers.ts";
import adminVerify from "./admin/verify-ledger.ts";
import adminWebhookDeliveries from "./admin/webhook-deliveries.ts";
import adminWithdraw from "./admin/withdraw.ts";
import adminX402Settlements from "./admin/x402-settlements.ts";
import registerAgent from "./agents/register.ts";
import bazaar from "./aimp/bazaar.ts";
import aimpChannels from "./aimp/channels.ts";
import aimpDiscover from "./aimp/discover.ts";
import aimpDocuments from "./aimp/documents.ts";
import aimpFederation from "./aimp/federation.ts";
import aimpInvoke from "./aimp/invoke.ts";
import aimpPipelines from "./aimp/pipelines.ts";
import aimpPricing from "./aimp/pricing.ts";
import aimpStats from "./aimp/stats.ts";
import listBalances from "./balances/list.ts";
import onchainDeposit from "./balances/onchain-deposit.ts";
import listTransfers from "./balances/transfers.ts";
import quoteRoute from "./catalog/quote.ts";
import searchRoute from "./catalog/search.ts";
import serviceStatsRoute from "./catalog/service-stats.ts";
import serviceRoutes from "./catalog/services.ts";
import skillRoutes from "./catalog/skills.ts";
import consoleConfig from "./console/config.ts";
import createKey from "./keys/create.ts";
import listKeys from "./keys/list.ts";
import revokeKey from "./keys/revoke.ts";
import { registerMachineRoutes } from "./machines/index.ts";
import { registerMarketRoutes } from "./market/index.ts";
import mcpRoute from "./mcp.ts";
import getMe from "./me/get.ts";
import createOrderRoute from "./orders/create.ts";
import lifecycleRoutes from "./orders/lifecycle.ts";
import paymentRoutes from "./orders/payment.ts";
import readOrderRoutes from "./orders/read.ts";
import getReceipt from "./receipts/get.ts";
import verifyReceiptRoute from "./receipts/verify.ts";
import { registerSessionRoutes } from "./session/index.ts";
import health from "./system/health.ts";
import openapi from "./system/openapi.ts";
import problemDoc from "./system/problem-doc.ts";
import ready from "./system/ready.ts";
import agentCard from "./wellknown/agent-card.ts";
import jwks from "./wellknown/jwks.ts";
import peacIssuer from "./wellknown/peac-issuer.ts";
import peacTxt from "./wellknown/peac-txt.ts";

/** Every route of the hub, grouped by namespace (see docs/architecture.md). */
export function registerRoutes(
  app: App,
  ctx: AppContext,
  extras: { sessions?: Sessions } = {},
): void {
  for (const route of [
    health,
    ready,
    openapi,
    problemDoc,
    registerAgent,
    getMe,
    listKeys,
    createKey,
    revokeKey,
    listBalances,
    listTransfers,
    onchainDeposit,
    adminCreatePrincipal,
    adminDeposit,
    adminWithdraw,
    adminTransfers,
    adminVerify,
    adminWebhookDeliveries,
    adminEscrowActions,
    adminX402Settlements,
    jwks,
    peacIssuer,
    peacTxt,
    getReceipt,
    verifyReceiptRoute,
    skillRoutes,
    serviceRoutes,
    serviceStatsRoute,
    searchRoute,
    quoteRoute,
    aimpDocuments,
    aimpPricing,
    aimpDiscover,
    bazaar,
    createOrderRoute,
    readOrderRoutes,
    paymentRoutes,
    lifecycleRoutes,
    aimpInvoke,
    aimpChannels,
    mcpRoute,
    agentCard,
    aimpPipelines,
    aimpFederation,
    aimpStats,
    consoleConfig,
  ]) {
    route(app, ctx);
  }
  registerMachineRoutes(app, ctx);
  registerMarketRoutes(app, ctx);
  if (extras.sessions) registerSessionRoutes(app, { ...ctx, sessions: extras.sessions });
}
