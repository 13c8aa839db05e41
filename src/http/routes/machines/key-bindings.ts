import { Type } from "@sinclair/typebox";
import { isoOf } from "../../../kernel/clock.ts";
import type { KeyBinding } from "../../../machines/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MachineRouteContext } from "./context.ts";
import { ChallengeId } from "./wire.ts";

const BindingWire = Type.Object({
  id: Type.String(),
  principalId: Type.String(),
  keyType: Type.Union([Type.Literal("ed25519"), Type.Literal("evm")]),
  did: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
  verifiedAt: Type.String(),
});

function bindingWire(b: KeyBinding) {
  return {
    id: b.id,
    principalId: b.principal_id,
    keyType: b.key_type,
    did: b.did,
    address: b.address,
    verifiedAt: isoOf(b.verified_at_ms),
  };
}

const common = { tags: ["identity"], security: [{ apiKey: [] }] };

/**
 * External key bindings: prove control of an Ed25519 (did:key) or EVM key by signing a hub
 * challenge; verified bindings are readable by any caller as an identity signal.
 */
export default function keyBindings(app: App, ctx: MachineRouteContext) {
  app.post(
    "/api/v1/key-bindings/challenges",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Ask for a challenge to bind an Ed25519 did:key or an EVM key to you",
        operationId: "createKeyBindingChallenge",
        body: Type.Object(
          {
            key: Type.String({
              minLength: 3,
              maxLength: 120,
              description: "did:key, did:pkh or 0x…",
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            item: Type.Object({
              challengeId: Type.String(),
              keyType: Type.String(),
              did: Type.String(),
              message: Type.String({
                description: "Ed25519: sign the UTF-8 bytes; EVM: EIP-191 personal_sign",
              }),
              expiresAt: Type.String(),
            }),
          }),
        },
      },
    },
    async (request, reply) => {
      const who = callerOf(request).principal.id;
      return writeTx(ctx, request, reply, 201, async (tx) => {
        const c = await ctx.machines.bindings.challenge(tx, who, request.body.key);
        const item = { challengeId: c.id, keyType: c.key_type, did: c.did, message: c.message };
        return { item: { ...item, expiresAt: isoOf(c.expires_at_ms) } };
      });
    },
  );
  app.post(
    "/api/v1/key-bindings",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Bind a key with its signature of the challenge",
        operationId: "createKeyBinding",
        body: Type.Object(
          {
            challengeId: ChallengeId,
            signature: Type.String({
              pattern: "^(0x[0-9a-fA-F]{130}|[0-9a-fA-F]{128}|[A-Za-z0-9_-]{86})$",
              description: "EVM: 0x… personal_sign; Ed25519: 64 bytes as hex or base64url",
            }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ item: BindingWire }) },
      },
    },
    async (request, reply) => {
      const who = callerOf(request).principal.id;
      const { challengeId, signature } = request.body;
      return writeTx(ctx, request, reply, 201, async (tx) => ({
        item: bindingWire(
          await ctx.machines.bindings.bind(tx, who, { challenge_id: challengeId, signature }),
        ),
      }));
    },
  );
  app.get(
    "/api/v1/key-bindings",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "A principal's verified key bindings (yours by default)",
        operationId: "listKeyBindings",
        querystring: Type.Object(
          { principalId: Type.Optional(Type.String({ pattern: "^prn_[0-9a-z]{26}$" })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(BindingWire) }) },
      },
    },
    async (request) => {
      const who = request.query.principalId ?? callerOf(request).principal.id;
      const rows = await ctx.machines.bindings.list(ctx.db.kysely, who);
      return { items: rows.map(bindingWire) };
    },
  );
  app.delete(
    "/api/v1/key-bindings/:id",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Revoke one of your key bindings",
        operationId: "revokeKeyBinding",
        params: Type.Object({ id: Type.String({ pattern: "^kb_[0-9a-z]{26}$" }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const who = callerOf(request).principal.id;
      return writeTx(ctx, request, reply, 204, async (tx) => {
        await ctx.machines.bindings.revoke(tx, who, request.params.id);
        return null;
      });
    },
  );
}
