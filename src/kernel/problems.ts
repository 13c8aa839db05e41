import { defineProblems } from "./problem.ts";

/** Problems any route can answer with: the protocol layer's own catalogue. */
export const kernelProblems = defineProblems({
  VALIDATION_FAILED: { status: 400, title: "The request is not valid" },
  MALFORMED_JSON: { status: 400, title: "The request body is not valid JSON" },
  BODY_TOO_LARGE: { status: 413, title: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The request content type is not supported" },
  ROUTE_NOT_FOUND: { status: 404, title: "No such route" },
  METHOD_NOT_ALLOWED: { status: 405, title: "The method is not allowed on this route" },
  NOT_ACCEPTABLE: {
    status: 406,
    title: "The answer cannot be given in a media type the request accepts",
  },
  NOT_FOUND: { status: 404, title: "The resource does not exist" },
  UNAUTHENTICATED: { status: 401, title: "Authentication is required" },
  FORBIDDEN: { status: 403, title: "The credentials do not allow this" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  CONFLICT: { status: 409, title: "The request conflicts with the current state" },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: "The Idempotency-Key header is not valid" },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    title: "A request with this Idempotency-Key is still being processed",
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: "This Idempotency-Key was used with a different request",
  },
  NOT_READY: { status: 503, title: "The service is not ready" },
  REQUEST_TIMEOUT: { status: 503, title: "The request took too long" },
  INTERNAL: { status: 500, title: "Internal error" },
  SIWE_MESSAGE_INVALID: { status: 400, title: "The sign-in message is not valid" },
  SIWE_NONCE_INVALID: { status: 401, title: "The sign-in nonce is unknown, used or expired" },
  SIWE_SIGNATURE_INVALID: { status: 401, title: "The sign-in signature does not match" },
  SESSION_INVALID: { status: 401, title: "The session is unknown, expired or signed out" },
  CSRF_TOKEN_INVALID: { status: 403, title: "The CSRF token is missing or wrong" },
  HEADERS_TOO_LARGE: { status: 431, title: "The request headers are too large" },
});
