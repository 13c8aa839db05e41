/**
 * RFC 9457 Problem Details: the one error type every surface (HTTP, MCP, CLI) renders.
 * `title` is fixed per code; `detail` is safe to show a client; causes go to logs only.
 */

/** One entry of a module's problem catalogue. */
export interface ProblemSpec {
  readonly code: string;
  readonly status: number;
  readonly title: string;
}

/** One invalid field of a request, located by JSON pointer (RFC 6901). */
export interface FieldError {
  pointer: string;
  detail: string;
  /** Where the pointer applies when not the body: `querystring`, `params`, `headers`. */
  location?: string;
}

/** The JSON body of an application/problem+json response. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Builds a module catalogue, stamping each entry with its own code. */
export function defineProblems<const T extends Record<string, { status: number; title: string }>>(
  entries: T,
): { readonly [K in keyof T]: ProblemSpec & { readonly code: K & string } } {
  const out: Record<string, ProblemSpec> = {};
  for (const [code, spec] of Object.entries(entries)) {
    if (!/^[A-Z][A-Z0-9_]+$/.test(code)) throw new Error(`problem code ${code} is not UPPER_SNAKE`);
    out[code] = { code, status: spec.status, title: spec.title };
  }
  return out as { readonly [K in keyof T]: ProblemSpec & { readonly code: K & string } };
}

/** Where a code's documentation lives; served by every hub under /problems/. */
export function problemTypeUri(code: string): string {
  return `/problems/${code}`;
}

/** An expected failure that becomes a Problem response. */
export class Problem extends Error {
  override name = "Problem";
  readonly spec: ProblemSpec;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown>;
  /** Extra response headers (WWW-Authenticate, Retry-After, …). */
  readonly headers: Record<string, string>;

  constructor(
    spec: ProblemSpec,
    detail: string,
    options: {
      errors?: FieldError[];
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(`${spec.code}: ${detail}`, options.cause === undefined ? {} : { cause: options.cause });
    this.spec = spec;
    this.detail = detail;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return this.spec.status;
  }

  get code(): string {
    return this.spec.code;
  }

  /** The RFC 9457 body. */
  toBody(context: { instance?: string; request_id?: string } = {}): ProblemBody {
    const body: ProblemBody = {
      ...this.extensions,
      type: problemTypeUri(this.spec.code),
      title: this.spec.title,
      status: this.spec.status,
      detail: this.detail,
      code: this.spec.code,
    };
    if (context.instance !== undefined) body.instance = context.instance;
    if (context.request_id !== undefined) body.request_id = context.request_id;
    if (this.errors !== undefined) body.errors = this.errors;
    return body;
  }
}

/** True for a Problem, also across module copies. */
export function isProblem(value: unknown): value is Problem {
  return value instanceof Problem;
}
