import { type PendingSettlementStore, x402Facilitator } from "@x402/core/facilitator";
import type {
  Network,
  PaymentPayload,
  PaymentRequirements,
  SettleResponse,
  VerifyResponse,
} from "@x402/core/types";
import { eip3009ABI, type FacilitatorEvmSigner } from "@x402/evm";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/facilitator";
import { getAddress, type Hex, parseErc6492Signature, parseSignature } from "viem";
import { Problem } from "../kernel/problem.ts";
import type { AnyPaymentPayload, AnyPaymentRequirements, Facilitator } from "./model.ts";
import { x402Problems } from "./problems.ts";
import { v1NetworkOf } from "./requirements.ts";
import type { ContractCall } from "./signer.ts";

/** The in-process facilitator's chains and signer. */
export interface LocalFacilitatorOptions {
  /**
   * The gas wallet, normally from `createEvmSigner` (serialized broadcasts); with `preflight`,
   * a settlement's gas estimate starts as settling begins.
   */
  signer: FacilitatorEvmSigner & { preflight?: (call: ContractCall) => void };
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
      const call = options.signer.preflight ? transferCallOf(payload, requirements) : null;
      if (call) options.signer.preflight?.(call);
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
    prepare(payload, requirements) {
      const call = options.signer.preflight ? transferCallOf(payload, requirements) : null;
      if (call) options.signer.preflight?.(call);
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

/**
 * The `transferWithAuthorization` call the exact scheme will ask the signer to write for an
 * EIP-3009 payload, built as @x402/evm builds it (v, r, s for a 65-byte ECDSA signature, else
 * the signature bytes), or null for anything else (Permit2, malformed). A call that differs from
 * the scheme's only misses its pre-flight: the signer then estimates the scheme's own call.
 */
function transferCallOf(
  payload: AnyPaymentPayload,
  requirements: AnyPaymentRequirements,
): ContractCall | null {
  const p = payload.payload as {
    signature?: unknown;
    authorization?: Record<string, unknown>;
  };
  const a = p.authorization;
  if (requirements.scheme !== "exact" || typeof p.signature !== "string" || !a) return null;
  try {
    const { signature } = parseErc6492Signature(p.signature as Hex);
    const ecdsa = signature.length === 132 ? parseSignature(signature) : null;
    return {
      address: getAddress(requirements.asset),
      abi: eip3009ABI,
      functionName: "transferWithAuthorization",
      args: [
        getAddress(String(a.from)),
        getAddress(String(a.to)),
        BigInt(String(a.value)),
        BigInt(String(a.validAfter)),
        BigInt(String(a.validBefore)),
        a.nonce,
        ...(ecdsa ? [ecdsa.v || ecdsa.yParity, ecdsa.r, ecdsa.s] : [signature]),
      ],
    };
  } catch {
    return null;
  }
}
