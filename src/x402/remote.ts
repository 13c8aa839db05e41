import type { Network, SettleResponse, SupportedResponse, VerifyResponse } from "@x402/core/types";
import { isProblem, Problem } from "../kernel/problem.ts";
import { guardedFetch, netProblems, type OutboundOptions } from "../net/index.ts";
import { x402Limits } from "./limits.ts";
import type { AnyPaymentPayload, AnyPaymentRequirements, Facilitator } from "./model.ts";
import { x402Problems } from "./problems.ts";

/** A facilitator reached over HTTP (spec v2 §7), through the hub's SSRF guard. */
export interface RemoteFacilitatorOptions extends OutboundOptions {
  /** Base URL; `/verify`, `/settle` and `/supported` are appended. */
  url: string;
  /** Sent with every call (e.g. an Authorization header for a hosted facilitator). */
  headers?: Readonly<Record<string, string>>;
  verify_timeout_ms?: number;
  settle_timeout_ms?: number;
}

/**
 * The remote facilitator. Every call is bounded in time and size and pinned to checked
 * addresses. A settle that times out may still have been broadcast, so it answers
 * `settlement_pending` (reconcile from chain) rather than a failure that invites a retry.
 */
export function createRemoteFacilitator(options: RemoteFacilitatorOptions): Facilitator {
  const base = options.url.replace(/\/+$/, "");
  const outbound: OutboundOptions = {
    ...(options.allowHosts ? { allowHosts: options.allowHosts } : {}),
    ...(options.allowPrivate !== undefined ? { allowPrivate: options.allowPrivate } : {}),
    ...(options.allowHttp !== undefined ? { allowHttp: options.allowHttp } : {}),
  };

  const call = (path: string, timeout_ms: number, body?: unknown) =>
    callFacilitator(
      { url: `${base}${path}`, outbound, headers: options.headers ?? {} },
      {
        timeout_ms,
        body,
      },
    );

  const bodyOf = (payload: AnyPaymentPayload, requirements: AnyPaymentRequirements) => ({
    x402Version: payload.x402Version,
    paymentPayload: payload,
    paymentRequirements: requirements,
  });

  return {
    async verify(payload, requirements): Promise<VerifyResponse> {
      const timeout = options.verify_timeout_ms ?? x402Limits.facilitator_verify_timeout_ms;
      const answer = await guarded(() => call("/verify", timeout, bodyOf(payload, requirements)));
      if (!isRecord(answer) || typeof answer.isValid !== "boolean") {
        throw unavailable("/verify did not answer a VerifyResponse");
      }
      return answer as VerifyResponse;
    },
    async settle(payload, requirements): Promise<SettleResponse> {
      const timeout = options.settle_timeout_ms ?? x402Limits.facilitator_settle_timeout_ms;
      let answer: unknown;
      try {
        answer = await call("/settle", timeout, bodyOf(payload, requirements));
      } catch (error) {
        if (!isProblem(error) || error.code !== netProblems.NET_FETCH_TIMEOUT.code) {
          throw wrap(error);
        }
        return {
          success: false,
          errorReason: "settlement_pending",
          errorMessage: `the facilitator did not answer within ${timeout} ms`,
          transaction: "",
          network: requirements.network as Network,
        };
      }
      if (!isRecord(answer) || typeof answer.success !== "boolean") {
        throw unavailable("/settle did not answer a SettleResponse");
      }
      return answer as SettleResponse;
    },
    async supported(): Promise<SupportedResponse> {
      const timeout = options.verify_timeout_ms ?? x402Limits.facilitator_verify_timeout_ms;
      const answer = await guarded(() => call("/supported", timeout));
      if (!isRecord(answer) || !Array.isArray(answer.kinds)) {
        throw unavailable("/supported did not list kinds");
      }
      return answer as SupportedResponse;
    },
  };
}

/** One bounded JSON exchange with the facilitator through the SSRF guard. */
async function callFacilitator(
  target: { url: string; outbound: OutboundOptions; headers: Readonly<Record<string, string>> },
  spec: { timeout_ms: number; body?: unknown },
): Promise<unknown> {
  const { body } = spec;
  const response = await guardedFetch(target.url, {
    ...target.outbound,
    timeout_ms: spec.timeout_ms,
    max_bytes: x402Limits.facilitator_response_bytes_max,
    method: body === undefined ? "GET" : "POST",
    headers: {
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...target.headers,
    },
    ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
  });
  try {
    return JSON.parse(response.body.toString("utf8"));
  } catch {
    throw unavailable(`${target.url} answered ${response.status} without JSON`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unavailable(detail: string, cause?: unknown): Problem {
  return new Problem(x402Problems.X402_FACILITATOR_UNAVAILABLE, detail, { cause });
}

/** A guard refusal or network failure is the facilitator's, never the payer's fault. */
function wrap(error: unknown): Problem {
  if (isProblem(error) && error.code === x402Problems.X402_FACILITATOR_UNAVAILABLE.code) {
    return error;
  }
  return unavailable("the facilitator could not be reached", error);
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw wrap(error);
  }
}
