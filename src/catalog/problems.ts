import { defineProblems } from "../kernel/problem.ts";

/** Problems raised by the catalogue. */
export const catalogProblems = defineProblems({
  CATALOG_SKILL_NOT_FOUND: { status: 404, title: "The skill does not exist" },
  CATALOG_SKILL_EXISTS: { status: 409, title: "This skill version is already published" },
  CATALOG_SERVICE_NOT_FOUND: { status: 404, title: "The service does not exist" },
  CATALOG_SERVICE_EXISTS: { status: 409, title: "This service version is already published" },
  CATALOG_SCHEMA_INVALID: { status: 400, title: "A JSON Schema of the skill is not valid" },
  CATALOG_OPERATION_UNKNOWN: { status: 400, title: "The skill has no such operation" },
  CATALOG_PRICING_INVALID: { status: 400, title: "The pricing is not valid" },
  CATALOG_NOT_OWNER: { status: 403, title: "Only the owner may change this catalogue entry" },
  CATALOG_BUILTIN_RESERVED: {
    status: 403,
    title: "Only the hub's operator sells its built-in skills",
  },
  CATALOG_BUILTIN_UNKNOWN: { status: 400, title: "The endpoint names no such built-in skill" },
  CATALOG_SEARCH_EMPTY: { status: 400, title: "The search has nothing to search for" },
  QUOTE_NOT_FOUND: { status: 404, title: "The quote does not exist" },
  QUOTE_EXPIRED: { status: 409, title: "The quote has expired" },
  QUOTE_NOT_AVAILABLE: { status: 422, title: "This service cannot be quoted automatically" },
  QUOTE_INPUT_INVALID: { status: 400, title: "The input does not match the operation's schema" },
});
