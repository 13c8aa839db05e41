import type { IncomingMessage, ServerResponse } from "node:http";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawServerDefault,
} from "fastify";
import { newId } from "../kernel/ids.ts";
import { limits } from "../kernel/limits.ts";
import { createSessions } from "../sessions/index.ts";
import { installAuth } from "./auth.ts";
import type { AppContext } from "./context.ts";
import { installIdempotency } from "./idempotency.ts";
import { installPeacEnforcement } from "./peac/enforce.ts";
import {
  clientErrorHandler,
  frameworkErrors,
  installProblemHandlers,
  refuseMissingHost,
} from "./problems.ts";
import { installConsole } from "./routes/console/static.ts";
import { registerRoutes } from "./routes/index.ts";
import { errorResponses } from "./schemas.ts";
import { validatorCompiler } from "./validation.ts";

/** The Fastify instance as routes see it: TypeBox schemas give typed requests. */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Builds the HTTP app: problem handling, the console's static files, auth (keys and console
 * sessions), idempotency, OpenAPI and every route.
 */
export async function buildApp(
  ctx: AppContext,
  options: { console_dir?: string } = {},
): Promise<App> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: limits.http_body_bytes_max,
    requestTimeout: limits.http_request_timeout_ms,
    trustProxy: ctx.config.trust_proxy,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : newId("req");
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Requests the router or Node's parser refuse are answered as problems like any other.
    frameworkErrors,
    clientErrorHandler,
    // Node would answer a Host-less HTTP/1.1 request with a bare 400; refuseMissingHost answers
    // it as a problem instead.
    http: { requireHostHeader: false },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.removeContentTypeParser("text/plain");
  installProblemHandlers(app);
  app.addHook("onRequest", refuseMissingHost);
  app.addHook("onRoute", (route) => {
    // Every route documents its error shape; problems are serialized by sendProblem itself.
    const response = (route.schema?.response ?? {}) as Record<string, unknown>;
    route.schema = { ...route.schema, response: { ...errorResponses, ...response } };
  });
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("x-request-id", request.id);
    return payload;
  });
  // Until main.ts lists sessionMigrations, the console's session tables are made here.
  const sessions = createSessions({ clock: ctx.clock, identity: ctx.identity });
  installConsole(app, options.console_dir ? { dist_dir: options.console_dir } : {});
  installAuth(app, ctx, sessions);
  installIdempotency(app, ctx);
  installPeacEnforcement(app, ctx, () => ctx.policy.enforcement);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "agx — the agent exchange",
        version: "0.1.0",
        description:
          "Buy and sell capabilities between agents, people and machines; pay over HTTP; " +
          "prove afterwards what happened. Errors are RFC 9457 problem+json.",
      },
      servers: ctx.config.public_url ? [{ url: ctx.config.public_url }] : [],
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "sk_agx_… API key" },
          consoleSession: {
            type: "apiKey",
            in: "cookie",
            name: "agx_session",
            description:
              "A console session (POST /api/v1/session); state-changing calls need x-csrf-token",
          },
          agentPairingToken: {
            type: "apiKey",
            in: "header",
            name: "x-agent-pairing-token",
            description: "A paired agent's session token: it acts for its machine under the policy",
          },
        },
      },
    },
  });
  registerRoutes(app, ctx, { sessions });
  return app;
}
