/** What a paid call needs before it runs: the hub's AIMP requirements plus the rails it takes. */
export interface PaymentRequirements {
  amount: string;
  token: string;
  chain: string;
  recipient: string;
  nonce: string;
  expires_at: string;
  receipt_url: string;
  /** How to pay: `prepaid`, `channel`, and `x402` when the hub takes it. */
  rails: { rail: string; how: string }[];
  /** x402 `accepts` (v1 body), present when the hub takes x402 for this capability. */
  accepts?: unknown[];
  /** The raw `PAYMENT-REQUIRED` header (x402 v2), base64 JSON, when sent. */
  x402_header?: string;
}

/** One field the hub refused (RFC 9457 `errors[]`). */
export interface ProblemFieldError {
  pointer: string;
  detail: string;
}

/** The RFC 9457 body every agx error carries. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  request_id?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

/** An error answered by the hub, as a typed exception (same fields as the problem+json body). */
export class AgxProblem extends Error {
  override readonly name = "AgxProblem";
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance: string | undefined;
  readonly request_id: string | undefined;
  readonly errors: ProblemFieldError[];
  /** The whole body, extensions included. */
  readonly body: ProblemBody;
  /** Set on 402 answers: what paying takes. */
  readonly payment: PaymentRequirements | undefined;

  constructor(body: ProblemBody, payment?: PaymentRequirements) {
    super(`${body.title}: ${body.detail}`);
    this.type = body.type;
    this.title = body.title;
    this.status = body.status;
    this.detail = body.detail;
    this.code = body.code;
    this.instance = body.instance;
    this.request_id = body.request_id;
    this.errors = body.errors ?? [];
    this.body = body;
    this.payment = payment;
  }
}

/** The hub could not be reached or did not answer in time (no problem body exists). */
export class AgxNetworkError extends Error {
  override readonly name = "AgxNetworkError";
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const str = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);

/** Reads a problem from any error answer; a body that is not problem+json still gets one. */
export function problemOf(
  status: number,
  body: unknown,
  headers: Headers,
  statusText = "",
): AgxProblem {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const problem: ProblemBody = {
    ...b,
    type: str(b.type, "about:blank"),
    title: str(b.title, statusText || `HTTP ${status}`),
    status: typeof b.status === "number" ? b.status : status,
    detail: str(b.detail, typeof body === "string" && body ? body.slice(0, 500) : ""),
    code: str(b.code, `HTTP_${status}`),
  };
  return new AgxProblem(problem, status === 402 ? paymentOf(b, headers) : undefined);
}

function paymentOf(body: Record<string, unknown>, headers: Headers): PaymentRequirements {
  let fromHeader: Record<string, unknown> = {};
  const raw = headers.get("x-payment-required");
  if (raw) {
    try {
      fromHeader = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // A malformed header leaves the body's copy, which carries the same terms.
    }
  }
  const req = { ...fromHeader, ...((body.payment_required ?? {}) as Record<string, unknown>) };
  const x402 = headers.get("payment-required");
  return {
    amount: str(req.amount, ""),
    token: str(req.token, ""),
    chain: str(req.chain, ""),
    recipient: str(req.recipient, ""),
    nonce: str(req.nonce, ""),
    expires_at: str(req.expires_at, ""),
    receipt_url: str(req.receipt_url, ""),
    rails: Array.isArray(body.rails) ? (body.rails as { rail: string; how: string }[]) : [],
    ...(Array.isArray(body.accepts) ? { accepts: body.accepts } : {}),
    ...(x402 ? { x402_header: x402 } : {}),
  };
}
