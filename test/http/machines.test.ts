import { afterAll, beforeAll, expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { machineLimits } from "../../src/machines/index.ts";
import { newAccount } from "../../src/machines/testing.ts";
import {
  type MachinesHub,
  newPrincipalKey,
  proveAndRegister,
  startMachinesHub,
} from "../support/machines-hub.ts";
import { describeStores } from "../support/stores.ts";

const pkh = (a: { address: string }) => `did:pkh:eip155:3338:${a.address}`;

describeStores("machines over HTTP", (store) => {
  const clock = manualClock();
  let mh: MachinesHub;
  let owner = "";
  let stranger = "";
  beforeAll(async () => {
    mh = await startMachinesHub({ database: store.db, clock });
    owner = await newPrincipalKey(mh, "own");
    stranger = await newPrincipalKey(mh, "str");
  });
  afterAll(() => mh.close());

  it("registers a machine with a controller's EIP-191 proof of a hub-named challenge", async () => {
    const key = newAccount();
    const c = await mh.call("POST", "/api/v1/machine-identity/challenges", {
      key: owner,
      body: { identityRef: pkh(key) },
    });
    expect(c.status).toBe(201);
    expect(c.body.item).toMatchObject({
      identityRef: pkh(key),
      verificationMethod: "eip191",
      controllerAddresses: [key.address],
    });
    expect(c.body.item.message).toContain(mh.ctx.publicUrl());
    const signature = await key.signMessage({ message: c.body.item.message });
    const body = {
      identityRef: pkh(key),
      displayName: "Rover",
      capabilities: ["camera"],
      identityProof: { challengeId: c.body.item.challengeId, signature },
    };
    const res = await mh.call("POST", "/api/v1/machines", {
      key: owner,
      body,
      headers: { "idempotency-key": "reg-1" },
    });
    expect(res.status).toBe(201);
    expect(res.body.item).toMatchObject({ status: "active", displayName: "Rover" });
    expect(res.body.item.identityProof.signerAddress).toBe(key.address);
    const again = await mh.call("POST", "/api/v1/machines", {
      key: owner,
      body,
      headers: { "idempotency-key": "reg-1" },
    });
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body.item.id).toBe(res.body.item.id);
    const replay = await mh.call("POST", "/api/v1/machines", { key: owner, body });
    expect(replay.body.code).toBe("MACHINE_IDENTITY_PROOF_EXPIRED");
  });

  it("refuses no proof, a non-controller, an expired challenge, a stolen signature", async () => {
    const key = newAccount();
    const missing = await mh.call("POST", "/api/v1/machines", {
      key: owner,
      body: { identityRef: pkh(key) },
    });
    expect([missing.status, missing.body.code]).toEqual([400, "MACHINE_IDENTITY_PROOF_REQUIRED"]);
    const wrong = await proveAndRegister(mh, owner, newAccount(), pkh(key));
    expect([wrong.status, wrong.body.code]).toEqual([401, "MACHINE_IDENTITY_PROOF_INVALID"]);
    const c = await mh.call("POST", "/api/v1/machine-identity/challenges", {
      key: owner,
      body: { identityRef: pkh(key) },
    });
    const proof = {
      challengeId: c.body.item.challengeId,
      signature: await key.signMessage({ message: c.body.item.message }),
    };
    const stolen = await mh.call("POST", "/api/v1/machines", {
      key: stranger,
      body: { identityRef: pkh(key), identityProof: proof },
    });
    expect(stolen.body.code).toBe("MACHINE_IDENTITY_PROOF_INVALID");
    clock.advance(machineLimits.identity_challenge_ttl_ms);
    const late = await mh.call("POST", "/api/v1/machines", {
      key: owner,
      body: { identityRef: pkh(key), identityProof: proof },
    });
    expect([late.status, late.body.code]).toEqual([401, "MACHINE_IDENTITY_PROOF_EXPIRED"]);
  });

  it("refuses a second machine for one identity and an unknown identity", async () => {
    const key = newAccount();
    expect((await proveAndRegister(mh, owner, key, pkh(key))).status).toBe(201);
    const dup = await proveAndRegister(mh, stranger, key, pkh(key));
    expect([dup.status, dup.body.code]).toEqual([409, "MACHINE_IDENTITY_EXISTS"]);
    const unknown = await mh.call("POST", "/api/v1/machine-identity/challenges", {
      key: owner,
      body: { identityRef: "peaqos:machine:nobody-knows" },
    });
    expect([unknown.status, unknown.body.code]).toEqual([422, "MACHINE_IDENTITY_UNRESOLVED"]);
  });

  it("shows a machine to its owner and an admin key only", async () => {
    const key = newAccount();
    const id = (await proveAndRegister(mh, owner, key, pkh(key))).body.item.id;
    expect((await mh.call("GET", `/api/v1/machines/${id}`, { key: owner })).status).toBe(200);
    const other = await mh.call("GET", `/api/v1/machines/${id}`, { key: stranger });
    expect([other.status, other.body.code]).toEqual([404, "MACHINE_NOT_FOUND"]);
    const patch = await mh.call("PATCH", `/api/v1/machines/${id}`, {
      key: stranger,
      body: { displayName: "mine now" },
    });
    expect(patch.body.code).toBe("MACHINE_NOT_FOUND");
    const admin = await mh.call("GET", `/api/v1/machines/${id}`, { key: mh.hub.adminKey });
    expect(admin.status).toBe(200);
    const list = await mh.call("GET", "/api/v1/machines?limit=500", { key: stranger });
    expect(list.body.items.map((m: { id: string }) => m.id)).not.toContain(id);
  });

  it("keeps identityRef immutable and moves status only through the state machine", async () => {
    const key = newAccount();
    const created = await proveAndRegister(mh, owner, key, pkh(key), { activate: false });
    const id = created.body.item.id;
    expect(created.body.item.status).toBe("draft");
    const patch = (body: unknown) =>
      mh.call("PATCH", `/api/v1/machines/${id}`, { key: owner, body });
    const moved = await patch({ identityRef: pkh(newAccount()) });
    expect([moved.status, moved.body.code]).toEqual([422, "MACHINE_IDENTITY_IMMUTABLE"]);
    const blocked = await patch({ status: "blocked" });
    expect(blocked.body.code).toBe("MACHINE_STATUS_TRANSITION_INVALID");
    expect((await patch({ status: "active", region: "eu-west" })).body.item).toMatchObject({
      status: "active",
      region: "eu-west",
    });
    const typo = await patch({ displayname: "x" });
    expect(typo.body.code).toBe("VALIDATION_FAILED");
  });

  it("blocks a machine on its next write once the registry drops its controller", async () => {
    const ref = `peaqos:machine:${Math.random().toString(36).slice(2, 10)}`;
    const controller = newAccount();
    const set = (addresses: string[], key = mh.hub.adminKey) =>
      mh.call("PUT", "/api/v1/admin/machine-controllers", {
        key,
        body: { identityRef: ref, controllerAddresses: addresses },
      });
    expect((await set([controller.address], owner)).body.code).toBe("FORBIDDEN");
    expect((await set([controller.address])).body.item.controllerAddresses).toEqual([
      controller.address,
    ]);
    const id = (await proveAndRegister(mh, owner, controller, ref)).body.item.id;
    await set([newAccount().address]);
    const write = await mh.call("PATCH", `/api/v1/machines/${id}`, {
      key: owner,
      body: { displayName: "still mine?" },
    });
    expect([write.status, write.body.code]).toEqual([401, "MACHINE_IDENTITY_PROOF_INVALID"]);
    const read = await mh.call("GET", `/api/v1/machines/${id}`, { key: owner });
    expect(read.body.item.status).toBe("blocked");
  });

  it("enrols a runtime agent whose heartbeats lease endpoints until they lapse", async () => {
    const key = newAccount();
    const id = (await proveAndRegister(mh, owner, key, pkh(key))).body.item.id;
    const enrol = await mh.call("POST", `/api/v1/machines/${id}/agents/enrollment`, { key: owner });
    expect(enrol.status).toBe(201);
    const agentToken = enrol.body.agentToken as string;
    const beat = await mh.call("POST", "/api/v1/machine-agents/heartbeat", {
      headers: { "x-machine-agent-token": agentToken },
      body: {
        endpoints: [
          { providerKey: "local-llm", url: "http://10.1.2.3:11434/", networkScope: "private" },
        ],
      },
    });
    expect(beat.status).toBe(200);
    expect(beat.body.item).toMatchObject({ status: "active", endpoints: [{ status: "active" }] });
    const noToken = await mh.call("POST", "/api/v1/machine-agents/heartbeat", {
      body: { endpoints: [] },
    });
    expect(noToken.body.code).toBe("MACHINE_AGENT_AUTH_REQUIRED");
    clock.advance(machineLimits.runtime_lease_ms);
    const list = await mh.call("GET", `/api/v1/machines/${id}/runtime-endpoints`, { key: owner });
    expect(list.body.items[0]).toMatchObject({ providerKey: "local-llm", status: "unreachable" });
    const foreign = await mh.call("GET", `/api/v1/machines/${id}/runtime-endpoints`, {
      key: stranger,
    });
    expect(foreign.body.code).toBe("MACHINE_NOT_FOUND");
  });

  it("stores runtime endpoint auth tokens without ever echoing them", async () => {
    const key = newAccount();
    const id = (await proveAndRegister(mh, owner, key, pkh(key))).body.item.id;
    const url = `/api/v1/machines/${id}/runtime-endpoints/vision`;
    const put = await mh.call("PUT", url, {
      key: owner,
      body: { url: "https://vision.example/run", authToken: "Bearer hush-hush" },
    });
    expect(put.status).toBe(200);
    expect(put.body.item.hasAuthToken).toBe(true);
    expect(JSON.stringify(put.body)).not.toContain("hush-hush");
    const got = await mh.call("GET", url, { key: owner });
    expect(JSON.stringify(got.body)).not.toContain("hush-hush");
    const privateUrl = await mh.call("PUT", url, {
      key: owner,
      body: { url: "http://169.254.169.254/latest", networkScope: "public" },
    });
    expect(privateUrl.body.code).toBe("NET_URL_BLOCKED");
    expect((await mh.call("DELETE", url, { key: owner })).status).toBe(204);
    expect((await mh.call("GET", url, { key: owner })).body.code).toBe(
      "MACHINE_RUNTIME_ENDPOINT_NOT_FOUND",
    );
  });

  it("binds an EVM key to a principal and shows it to counterparties", async () => {
    const wallet = newAccount();
    const c = await mh.call("POST", "/api/v1/key-bindings/challenges", {
      key: owner,
      body: { key: wallet.address },
    });
    const signature = await wallet.signMessage({ message: c.body.item.message });
    const bound = await mh.call("POST", "/api/v1/key-bindings", {
      key: owner,
      body: { challengeId: c.body.item.challengeId, signature },
    });
    expect(bound.status).toBe(201);
    const principalId = bound.body.item.principalId as string;
    const seen = await mh.call("GET", `/api/v1/key-bindings?principalId=${principalId}`, {
      key: stranger,
    });
    expect(seen.body.items.map((b: { did: string }) => b.did)).toContain(
      `did:pkh:eip155:1:${wallet.address}`,
    );
    const reused = await mh.call("POST", "/api/v1/key-bindings", {
      key: owner,
      body: { challengeId: c.body.item.challengeId, signature },
    });
    expect(reused.body.code).toBe("KEY_BINDING_PROOF_EXPIRED");
  });
});
