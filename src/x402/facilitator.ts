import { type PendingSettlementStore, x402Facilitator } from "@x402/core/facilitator";
import type {
  Network,
  PaymentPayload,
  PaymentRequirements,
  SettleResponse,
  VerifyResponse,
} from "@x402/core/types";
import type { FacilitatorEvmSigner } from "@x402/evm";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/facilitator";
import { Problem } from "../kernel/problem.ts";
import type { AnyPaymentPayload, AnyPaymentRequirements, Facilitator } from "./model.ts";
import { x402Problems } from "./problems.ts";
import { v1NetworkOf } from "./requirements.ts";

/** The in-process facilitator's chains and signer. */
export interface LocalFacilitatorOptions {
  /** The gas wallet, normally from `createEvmSigner` (serialized broadcasts). */
  signer: FacilitatorEvmSigner;
  /** CAIP-2 networks; each with a v1 name is also registered for v1. */
  networks: Network[];
  /**
   * Remembers broadcast settlements by signature so a retried settle waits for the first
   * transaction instead of sending a second one (`createPendingSettlementStore` keeps it in the
   * database; the library's default is in memory).
   */
  pending_store?: PendingSettlementStore;
}

/**
 * The in-process facilitator: @x402/core's `x402Facilitator` with @x402/evm's exact scheme for
 * v2 and v1. It verifies (signature, recipient, amount, validity window, balance simulation) and
 * settles by `transferWithAuthorization` from the hub's gas wallet.
 */
export function createLocalFacilitator(options: LocalFacilitatorOptions): Facilitator {
  const core = new x402Facilitator();
  core.register(
    options.networks,
    new ExactEvmScheme(options.signer, {
      ...(options.pending_store ? { pendingSettlementStore: options.pending_store } : {}),
    }),
  );
  const v1 = options.networks.map(v1NetworkOf).filter((n): n is string => n !== null);
  if (v1.length > 0) core.registerV1(v1 as Network[], new ExactEvmSchemeV1(options.signer));
  const asCore = (p: AnyPaymentPayload, r: AnyPaymentRequirements) =>
    [p as PaymentPayload, r as PaymentRequirements] as const;
  return {
    async verify(payload, requirements): Promise<VerifyResponse> {
      try {
        return await core.verify(...asCore(payload, requirements));
      } catch (error) {
        return refusalOf(error);
      }
    },
    async settle(payload, requirements): Promise<SettleResponse> {
      try {
        return await core.settle(...asCore(payload, requirements));
      } catch (error) {
        // The scheme catches its own broadcast errors; what reaches here was thrown before
        // anything was sent (no registration, hooks), so nothing moved on chain.
        return {
          success: false,
          errorReason: /No facilitator registered/i.test(String(error))
            ? "unsupported_scheme"
            : "unexpected_settle_error",
          errorMessage: error instanceof Error ? error.message : String(error),
          transaction: "",
          network: requirements.network as Network,
        };
      }
    },
    async supported() {
      return core.getSupported() as Awaited<ReturnType<Facilitator["supported"]>>;
    },
  };
}

/**
 * The core throws for a scheme or network it has no registration for (a client's choice) and
 * for its own verify errors; both are a refusal of this payment, not a broken facilitator.
 * A failure to reach the chain is the facilitator's: it becomes a 502.
 */
function refusalOf(error: unknown): VerifyResponse {
  const message = error instanceof Error ? error.message : String(error);
  if (/No facilitator registered/i.test(message)) {
    return { isValid: false, invalidReason: "unsupported_scheme", invalidMessage: message };
  }
  const reason = (error as { invalidReason?: unknown }).invalidReason;
  if (typeof reason === "string") return { isValid: false, invalidReason: reason };
  throw new Problem(x402Problems.X402_FACILITATOR_UNAVAILABLE, "the chain could not be read", {
    cause: error,
  });
}
