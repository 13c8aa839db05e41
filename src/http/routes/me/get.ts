import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { ApiKeyWire, apiKeyWire, PrincipalWire, principalWire } from "../../wire.ts";

/** The authenticated principal and the key used. */
export default function getMe(app: App, _ctx: AppContext) {
  app.get(
    "/api/v1/me",
    {
      config: { access: "read" },
      schema: {
        summary: "Who am I: the caller's principal and key",
        tags: ["identity"],
        operationId: "getMe",
        security: [{ apiKey: [] }],
        response: { 200: Type.Object({ principal: PrincipalWire, key: ApiKeyWire }) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      return { principal: principalWire(caller.principal), key: apiKeyWire(caller.key) };
    },
  );
}
