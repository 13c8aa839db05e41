import { expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { stringifyWithBigints } from "../kernel/json.ts";
import { machineLimits } from "./limits.ts";
import { machineMigrations } from "./migrations.ts";
import type { EndpointInput } from "./model.ts";
import { MACHINE_AGENT_TOKEN_PREFIX } from "./runtime.ts";
import { expectProblem, newAccount, registerMachine, testMachines } from "./testing.ts";

const endpoint = (provider_key: string, extra: Partial<EndpointInput> = {}): EndpointInput => ({
  provider_key,
  url: `http://10.0.0.7:8080/${provider_key}`,
  protocol: "http",
  network_scope: "private",
  capabilities: ["llm.generate"],
  ...extra,
});

describeStores(
  "machine-side runtime agents and endpoints",
  (store) => {
    const clock = manualClock();
    const machines = testMachines(clock);
    const { runtime } = machines;
    const owner = "prn_owner";
    const machine = async () => {
      const key = newAccount();
      return registerMachine(machines, store.db, owner, `did:pkh:eip155:1:${key.address}`, key);
    };
    const tx = <T>(
      work: (tx: Parameters<Parameters<typeof store.db.transaction>[0]>[0]) => Promise<T>,
    ) => store.db.transaction(work);

    it("enrols an agent with a token shown once, stored only as a hash", async () => {
      const m = await machine();
      const { agent, token } = await tx((t) => runtime.enrol(t, m.id));
      expect(token.startsWith(MACHINE_AGENT_TOKEN_PREFIX)).toBe(true);
      expect(agent.status).toBe("enrolled");
      const rows = await store.db.kysely
        .selectFrom("machine_runtime_agents")
        .selectAll()
        .where("id", "=", agent.id)
        .execute();
      expect(stringifyWithBigints(rows)).not.toContain(token);
      expect((await runtime.authenticate(store.db.kysely, token)).id).toBe(agent.id);
    });

    it("refuses a missing, unknown or replaced agent token", async () => {
      const m = await machine();
      const first = await tx((t) => runtime.enrol(t, m.id));
      await tx((t) => runtime.enrol(t, m.id));
      await expectProblem(
        runtime.authenticate(store.db.kysely, undefined),
        "MACHINE_AGENT_AUTH_REQUIRED",
      );
      await expectProblem(
        runtime.authenticate(store.db.kysely, "mat_agx_nope"),
        "MACHINE_AGENT_AUTH_INVALID",
      );
      await expectProblem(
        runtime.authenticate(store.db.kysely, first.token),
        "MACHINE_AGENT_AUTH_INVALID",
      );
    });

    it("leases endpoints on heartbeat and reports them unreachable once it passes", async () => {
      const m = await machine();
      const { agent } = await tx((t) => runtime.enrol(t, m.id));
      const beat = await tx((t) => runtime.heartbeat(t, agent, [endpoint("local-llm")]));
      expect(beat.agent.status).toBe("active");
      expect(beat.lease_expires_at_ms).toBe(clock.now_ms() + machineLimits.runtime_lease_ms);
      expect(beat.endpoints[0]).toMatchObject({ status: "active", agent_id: agent.id });
      clock.advance(machineLimits.runtime_lease_ms);
      const [gone] = await runtime.listEndpoints(store.db.kysely, m.id);
      expect(gone?.status).toBe("unreachable");
      await tx((t) =>
        runtime.heartbeat(t, agent, [endpoint("local-llm", { url: "http://10.0.0.8/x" })]),
      );
      const [back] = await runtime.listEndpoints(store.db.kysely, m.id);
      expect(back).toMatchObject({ status: "active", url: "http://10.0.0.8/x" });
    });

    it("seals endpoint auth tokens, never echoes them, keeps them across updates", async () => {
      const m = await machine();
      const put = await tx((t) =>
        runtime.putEndpoint(t, m.id, endpoint("vision", { auth_token: "Bearer very-secret" })),
      );
      expect(put.has_auth_token).toBe(true);
      expect(stringifyWithBigints(put)).not.toContain("very-secret");
      const rows = await store.db.kysely
        .selectFrom("machine_runtime_endpoints")
        .selectAll()
        .execute();
      expect(stringifyWithBigints(rows)).not.toContain("very-secret");
      await tx((t) => runtime.putEndpoint(t, m.id, endpoint("vision", { protocol: "grpc" })));
      expect(await runtime.endpointAuthToken(store.db.kysely, m.id, "vision")).toBe(
        "Bearer very-secret",
      );
      await tx((t) => runtime.putEndpoint(t, m.id, endpoint("vision", { auth_token: null })));
      expect(await runtime.endpointAuthToken(store.db.kysely, m.id, "vision")).toBeNull();
    });

    it("keeps owner-registered endpoints without a lease, and deletes them", async () => {
      const m = await machine();
      await tx((t) => runtime.putEndpoint(t, m.id, endpoint("static")));
      clock.advance(10 * machineLimits.runtime_lease_ms);
      const got = await runtime.getEndpoint(store.db.kysely, m.id, "static");
      expect(got).toMatchObject({ status: "active", lease_expires_at_ms: null });
      await tx((t) => runtime.deleteEndpoint(t, m.id, "static"));
      await expectProblem(
        runtime.getEndpoint(store.db.kysely, m.id, "static"),
        "MACHINE_RUNTIME_ENDPOINT_NOT_FOUND",
      );
      await expectProblem(
        tx((t) => runtime.deleteEndpoint(t, m.id, "static")),
        "MACHINE_RUNTIME_ENDPOINT_NOT_FOUND",
      );
    });

    it("refuses URLs that are not plain http(s), and caps endpoints per machine", async () => {
      const m = await machine();
      await expectProblem(
        tx((t) => runtime.putEndpoint(t, m.id, endpoint("x", { url: "file:///etc/passwd" }))),
        "VALIDATION_FAILED",
      );
      await expectProblem(
        tx((t) => runtime.putEndpoint(t, m.id, endpoint("x", { url: "http://u:p@10.0.0.1/" }))),
        "VALIDATION_FAILED",
      );
      for (let i = 0; i < machineLimits.runtime_endpoints_per_machine_max; i++) {
        await tx((t) => runtime.putEndpoint(t, m.id, endpoint(`p${i}`)));
      }
      await expectProblem(
        tx((t) => runtime.putEndpoint(t, m.id, endpoint("one-more"))),
        "MACHINE_RUNTIME_ENDPOINT_LIMIT_REACHED",
      );
    });
  },
  { migrations: machineMigrations },
);
