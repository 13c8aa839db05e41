import { type TSchema, Type } from "@sinclair/typebox";
import { limits } from "../kernel/limits.ts";

/** The RFC 9457 body every error response carries. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: "URI of the problem's documentation page" }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: "Stable UPPER_SNAKE code" }),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          pointer: Type.String({ description: "JSON pointer (RFC 6901) to the bad field" }),
          detail: Type.String(),
          location: Type.Optional(Type.String()),
        }),
      ),
    ),
  },
  { additionalProperties: true, title: "Problem" },
);

/** A decimal amount as text ("12.50"); never a JSON number, so nothing is rounded. */
export const DecimalAmount = Type.String({
  pattern: "^(0|[1-9][0-9]{0,30})(\\.[0-9]{1,18})?$",
  maxLength: 50,
  description: "Decimal amount as a string, in the asset's major unit",
  examples: ["12.50"],
});

export const AssetCode = Type.String({ pattern: "^[A-Z0-9]{2,12}$", examples: ["USDC"] });

/** Money on the wire: decimal text plus the exact minor units. */
export const MoneySchema = Type.Object({
  amount: DecimalAmount,
  amount_minor: Type.String({ pattern: "^-?[0-9]+$" }),
  asset: AssetCode,
});

/** Client-chosen ids (transfer ids and the like). */
export const ClientId = Type.String({
  minLength: 1,
  maxLength: limits.transfer_id_chars_max,
  pattern: "^[A-Za-z0-9_.:-]+$",
});

export const Metadata = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
  maxProperties: 32,
});

/** A page of items with an opaque cursor. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
  });
}

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: limits.page_size_max,
        default: limits.page_size_default,
      }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** Standard error responses for the OpenAPI document. */
export const errorResponses = {
  "4XX": ProblemSchema,
  "5XX": ProblemSchema,
};

/** The optional pairing token header of routes a paired agent may call for its machine. */
export const AgentHeader = Type.Object({
  "x-agent-pairing-token": Type.Optional(
    Type.String({ maxLength: 4096, description: "A paired agent's session token" }),
  ),
});
