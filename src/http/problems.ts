import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { ErrorObject } from "ajv";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type FieldError, isProblem, Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { fieldErrorsOf, installJsonBodyParser } from "./validation.ts";

export const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** Sends a Problem as application/problem+json, bypassing the route's success serializer. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  const body = problem.toBody({
    instance: request.url.split("?")[0] ?? "",
    request_id: request.id,
  });
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply
    .code(problem.status)
    .type(PROBLEM_MEDIA_TYPE)
    .serializer((payload: unknown) => JSON.stringify(payload))
    .send(body);
}

/** Maps anything thrown during a request to a Problem; unknown errors become INTERNAL. */
export function problemOf(error: unknown): { problem: Problem; unexpected: boolean } {
  if (isProblem(error)) return { problem: error, unexpected: false };
  const e = error as FastifyError & { validation?: ErrorObject[]; validationContext?: string };
  if (e.validation) {
    const errors: FieldError[] = fieldErrorsOf(e.validation, e.validationContext ?? "body");
    const where =
      e.validationContext && e.validationContext !== "body" ? e.validationContext : "body";
    return {
      problem: new Problem(
        kernelProblems.VALIDATION_FAILED,
        `the request ${where} has ${errors.length} invalid field(s)`,
        { errors },
      ),
      unexpected: false,
    };
  }
  const known = fastifyCodes[e.code ?? ""];
  if (known) return { problem: new Problem(known.spec, known.detail), unexpected: false };
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      problem: new Problem(kernelProblems.VALIDATION_FAILED, e.message || "bad request"),
      unexpected: false,
    };
  }
  return {
    problem: new Problem(kernelProblems.INTERNAL, "an unexpected error occurred; it was logged"),
    unexpected: true,
  };
}

const fastifyCodes: Record<string, { spec: Problem["spec"]; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    spec: kernelProblems.MALFORMED_JSON,
    detail: "the body could not be parsed as JSON",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    spec: kernelProblems.MALFORMED_JSON,
    detail: "the body is empty but the content type says JSON",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    spec: kernelProblems.BODY_TOO_LARGE,
    detail: "the body is larger than the hub accepts",
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    spec: kernelProblems.UNSUPPORTED_MEDIA_TYPE,
    detail: "send application/json",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    spec: kernelProblems.VALIDATION_FAILED,
    detail: "the Content-Length header does not match the body",
  },
  FST_ERR_CTP_INVALID_CONTENT_TYPE: {
    spec: kernelProblems.UNSUPPORTED_MEDIA_TYPE,
    detail: "the Content-Type header is not valid",
  },
  FST_ERR_BAD_URL: { spec: kernelProblems.ROUTE_NOT_FOUND, detail: "the URL is not valid" },
  FST_ERR_MAX_PARAM_LENGTH: {
    spec: kernelProblems.ROUTE_NOT_FOUND,
    detail: "a path segment is longer than any this hub routes",
  },
  FST_ERR_ASYNC_CONSTRAINT: { spec: kernelProblems.ROUTE_NOT_FOUND, detail: "no such route" },
  FST_ERR_REP_INVALID_PAYLOAD_TYPE: {
    spec: kernelProblems.INTERNAL,
    detail: "an unexpected error occurred; it was logged",
  },
};

/**
 * Fastify's `frameworkErrors` option: errors its router raises before any hook or handler (a URL
 * that cannot be decoded, an over-long path parameter). Without it Fastify answers them with its
 * own application/json body instead of a problem.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(request, reply, problemOf(error).problem);
}

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses before Fastify sees them
 * (a bad request line, CR or LF or NUL inside a header, conflicting or malformed Content-Length,
 * headers over Node's limit, a request slower than `http_request_timeout_ms`). Answered as a
 * problem like everything else, then the connection closes (its framing can no longer be
 * trusted). A request timeout is REQUEST_TIMEOUT, the hub's documented 503.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const problem =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? new Problem(kernelProblems.REQUEST_TIMEOUT, "the request took longer than the hub waits")
      : error.code === "HPE_HEADER_OVERFLOW"
        ? new Problem(kernelProblems.HEADERS_TOO_LARGE, "the headers are larger than the hub reads")
        : new Problem(kernelProblems.VALIDATION_FAILED, "the request is not valid HTTP/1.1");
  const body = JSON.stringify(problem.toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ""}\r\n` +
        `content-type: ${PROBLEM_MEDIA_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * An onRequest hook for servers made with `requireHostHeader: false`: an HTTP/1.1 request without
 * `Host` (RFC 9112 §3.2 makes it a 400) is refused as a problem instead of Node's empty 400.
 */
export async function refuseMissingHost(request: FastifyRequest, reply: FastifyReply) {
  if (request.raw.httpVersionMajor === 1 && request.raw.httpVersionMinor >= 1) {
    if (request.raw.headers.host === undefined) {
      reply.header("connection", "close");
      return sendProblem(
        request,
        reply,
        new Problem(kernelProblems.VALIDATION_FAILED, "an HTTP/1.1 request needs a Host header"),
      );
    }
  }
}

/** Route patterns known to the app, to tell 404 (no such path) from 405 (wrong method). */
export function installProblemHandlers(app: FastifyInstance): void {
  // Bodies the hub cannot represent become problems here rather than 500s in handlers.
  installJsonBodyParser(app);
  const routes: { method: string; pattern: RegExp }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const source = route.url
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replace(/:[A-Za-z0-9_]+/g, "[^/]+")
      .replace(/\*/g, ".*");
    for (const method of methods) routes.push({ method, pattern: new RegExp(`^${source}$`) });
  });

  app.setErrorHandler((error, request, reply) => {
    const { problem, unexpected } = problemOf(error);
    if (unexpected) request.log.error({ err: error }, "unexpected error");
    else if (problem.status >= 500) request.log.warn({ code: problem.code }, problem.detail);
    return sendProblem(request, reply, problem);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const allowed = [
      ...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method)),
    ].sort();
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return sendProblem(
        request,
        reply,
        new Problem(
          kernelProblems.METHOD_NOT_ALLOWED,
          `${request.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`,
        ),
      );
    }
    return sendProblem(
      request,
      reply,
      new Problem(kernelProblems.ROUTE_NOT_FOUND, `no route ${request.method} ${path}`),
    );
  });
}
