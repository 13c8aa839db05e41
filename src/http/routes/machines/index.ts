import type { App } from "../../app.ts";
import agentSession from "../pairings/agent-session.ts";
import pairingChallenge from "../pairings/challenge.ts";
import createPairing from "../pairings/create.ts";
import readPairings from "../pairings/read.ts";
import rotatePairingSession from "../pairings/sessions.ts";
import updatePairing from "../pairings/update.ts";
import type { MachineRouteContext } from "./context.ts";
import createMachine from "./create.ts";
import identityChallenge from "./identity-challenge.ts";
import keyBindings from "./key-bindings.ts";
import machineOutcomesRoute from "./outcomes.ts";
import ownerView from "./overview.ts";
import readMachines from "./read.ts";
import controllerRegistry from "./registry.ts";
import runtimeAgents from "./runtime-agents.ts";
import runtimeEndpoints from "./runtime-endpoints.ts";
import updateMachine from "./update.ts";

export type { MachineRouteContext } from "./context.ts";

/** Machines, identity proofs, runtimes, key bindings and agent pairings (peaq paths). */
export function registerMachineRoutes(app: App, ctx: MachineRouteContext): void {
  for (const route of [
    identityChallenge,
    createMachine,
    readMachines,
    updateMachine,
    controllerRegistry,
    runtimeAgents,
    runtimeEndpoints,
    keyBindings,
    ownerView,
    machineOutcomesRoute,
    pairingChallenge,
    createPairing,
    readPairings,
    rotatePairingSession,
    updatePairing,
    agentSession,
  ]) {
    route(app, ctx);
  }
}
