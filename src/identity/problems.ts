import { defineProblems } from "../kernel/problem.ts";

/** Problems raised by the identity module. */
export const identityProblems = defineProblems({
  IDENTITY_HANDLE_TAKEN: { status: 409, title: "The handle is already taken" },
  IDENTITY_PRINCIPAL_NOT_FOUND: { status: 404, title: "The principal does not exist" },
  IDENTITY_KEY_NOT_FOUND: { status: 404, title: "The API key does not exist" },
  IDENTITY_KEY_LIMIT_REACHED: { status: 422, title: "The principal has too many API keys" },
  IDENTITY_SCOPE_NOT_GRANTABLE: {
    status: 403,
    title: "A key cannot grant a scope its creator does not hold",
  },
});
