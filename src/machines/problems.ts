import { defineProblems } from "../kernel/problem.ts";

/** Problems raised by the machines module (codes as peaq Machine Markets names them). */
export const machineProblems = defineProblems({
  MACHINE_IDENTITY_PROOF_REQUIRED: {
    status: 400,
    title: "A machine identity proof is required",
  },
  MACHINE_IDENTITY_PROOF_INVALID: { status: 401, title: "The machine identity proof is not valid" },
  MACHINE_IDENTITY_PROOF_EXPIRED: {
    status: 401,
    title: "The machine identity challenge has expired or was already used",
  },
  MACHINE_IDENTITY_UNRESOLVED: {
    status: 422,
    title: "No controller is known for this identity reference",
  },
  MACHINE_IDENTITY_UNAVAILABLE: {
    status: 503,
    title: "The identity's controllers cannot be looked up right now",
  },
  MACHINE_IDENTITY_EXISTS: { status: 409, title: "A machine with this identity already exists" },
  MACHINE_IDENTITY_IMMUTABLE: { status: 422, title: "A machine's identityRef cannot change" },
  MACHINE_NOT_FOUND: { status: 404, title: "The machine does not exist" },
  MACHINE_NOT_ACTIVE: { status: 409, title: "The machine is not active" },
  MACHINE_STATUS_TRANSITION_INVALID: {
    status: 409,
    title: "The machine cannot move to that status",
  },
  MACHINE_AGENT_AUTH_REQUIRED: { status: 401, title: "A machine agent token is required" },
  MACHINE_AGENT_AUTH_INVALID: { status: 401, title: "The machine agent token is not valid" },
  MACHINE_RUNTIME_ENDPOINT_NOT_FOUND: { status: 404, title: "The runtime endpoint does not exist" },
  MACHINE_RUNTIME_ENDPOINT_LIMIT_REACHED: {
    status: 422,
    title: "The machine has too many runtime endpoints",
  },
  KEY_BINDING_PROOF_INVALID: { status: 401, title: "The key binding proof is not valid" },
  KEY_BINDING_PROOF_EXPIRED: {
    status: 401,
    title: "The key binding challenge has expired or was already used",
  },
  KEY_BINDING_KEY_INVALID: { status: 400, title: "The key to bind is not a supported key" },
  KEY_BINDING_EXISTS: { status: 409, title: "This key is bound to another principal" },
  KEY_BINDING_NOT_FOUND: { status: 404, title: "The key binding does not exist" },
  KEY_BINDING_LIMIT_REACHED: { status: 422, title: "The principal has too many key bindings" },
});
