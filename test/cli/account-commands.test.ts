import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientExitCodes } from "../../src/cli/hub-client.ts";
import { type ListeningHub, startListeningHub } from "../sdk/support.ts";
import { agx } from "./harness.ts";

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), "agx-cli-acct-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("agx keys, catalog publish, quote, machines, pairings and webhooks against a hub", () => {
  let h: ListeningHub;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startListeningHub();
    const a = await h.agent("1");
    env = { AGX_URL: h.url, AGX_KEY: a.key };
  });
  afterAll(async () => {
    await h.close();
  });

  it("creates, lists, rotates and revokes API keys; a rotated key stops working", async () => {
    const made = await agx(["keys", "create", "--scope", "read", "--label", "ci", "--json"], env);
    expect(made.code, made.err).toBe(0);
    const { key, secret } = JSON.parse(made.out) as { key: { id: string }; secret: string };
    expect(secret).toMatch(/^sk_agx_/);
    const human = await agx(["keys", "create", "--label", "people"], env);
    expect(human.out).toMatch(/^key {6}key_\S+\nsecret {3}sk_agx_\S+\nshown once/);
    const list = await agx(["keys", "list"], env);
    expect(list.out).toMatch(/^id\s+prefix\s+scope\s+label\s+created\s+last used\s+state\n/);
    expect(list.out).toMatch(new RegExp(`${key.id}\\s+\\S+\\s+read\\s+ci\\s+.*live`));
    const rotated = await agx(["keys", "rotate", key.id, "--json"], env);
    expect(rotated.code, rotated.err).toBe(0);
    const r = JSON.parse(rotated.out) as {
      key: { id: string; scope: string; label: string };
      secret: string;
      revoked: { id: string; revoked_at: string };
    };
    expect(r.key).toMatchObject({ scope: "read", label: "ci" });
    expect(r.revoked).toMatchObject({ id: key.id });
    const old = await agx(["balance"], { ...env, AGX_KEY: secret });
    expect(old.code).toBe(clientExitCodes.problem);
    expect(old.err).toContain("UNAUTHENTICATED");
    expect((await agx(["balance"], { ...env, AGX_KEY: r.secret })).code).toBe(0);
    const gone = await agx(["keys", "revoke", r.key.id], env);
    expect(gone.out).toMatch(/^revoked {2}key_/);
    const all = await agx(["keys", "list", "--all", "--json"], env);
    const states = (
      JSON.parse(all.out).items as { id: string; revoked_at: string | null }[]
    ).filter((k) => k.id === r.key.id || k.id === key.id);
    expect(states.every((k) => k.revoked_at !== null)).toBe(true);
    const bad = await agx(["keys", "create", "--scope", "root"], env);
    expect(bad).toMatchObject({ code: clientExitCodes.usage });
    expect(bad.err).toContain("--scope root: one of read, write, admin");
    const missing = await agx(["keys", "rotate", "key_nope"], env);
    expect(missing.code).toBe(clientExitCodes.problem);
  });

  it("publishes a skill and its service from YAML, replays a re-run, and quotes the service", async () => {
    const yaml = file(
      "catalog.yaml",
      `skills:
  - key: cli.echo
    version: 1.0.0
    label: Echo
    description: says it back
    operations:
      - name: echo
        description: echo the text
        input_schema: { type: object, properties: { text: { type: string } } }
        output_schema: { type: object }
services:
  - name: cli-echo
    version: 1.0.0
    skill_key: cli.echo
    description: an echo published from the CLI
    company_name: CLI Tests
    execution_mode: native
    endpoints: [{ url: "https://echo.example.com/run", method: POST }]
    pricing: { model: fixed, asset: USDC, amount: "0.01" }
    rails: [agx-ledger]
`,
    );
    const first = await agx(["catalog", "publish", yaml], env);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^kind\s+id\s+name\s+version\s+status\n/);
    expect(first.out).toMatch(/skill\s+skl_\S+\s+cli\.echo\s+1\.0\.0\s+published/);
    const svc = /service\s+(svc_\S+)\s+cli-echo/.exec(first.out)?.[1] ?? "";
    expect(svc).toMatch(/^svc_/);
    const again = await agx(["catalog", "publish", yaml, "--json"], env);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out).published[1].id).toBe(svc);
    const q = await agx(["quote", svc, "--input", '{"text":"hi"}'], env);
    expect(q.code, q.err).toBe(0);
    expect(q.out).toMatch(/^quote {4}qt_\S+\nservice {2}cli-echo@1\.0\.0 \(cli\.echo\) echo\n/);
    expect(q.out).toMatch(/price {4}0\.010*? USDC \(1 units\)/);
    const found = await agx(["catalog", "search", "echo published from the CLI", "--json"], env);
    expect(JSON.stringify(JSON.parse(found.out).quotes)).toContain(svc);
  });

  it("refuses bad catalogue files and service ids before any request", async () => {
    const notYaml = await agx(["catalog", "publish", file("bad.json", "{nope")], env);
    expect(notYaml.code).toBe(clientExitCodes.usage);
    expect(notYaml.err).toMatch(/^agx: .*bad\.json is not JSON or YAML/);
    const neither = await agx(["catalog", "publish", file("odd.yaml", "name: x\n")], env);
    expect(neither.err).toContain("neither a skill (operations) nor a service (skill_key)");
    const invalid = await agx(
      ["catalog", "publish", file("svc.json", '{"skill_key":"cli.echo","name":"x"}')],
      env,
    );
    expect(invalid.code).toBe(clientExitCodes.problem);
    expect(invalid.err).toMatch(/\[VALIDATION_FAILED, HTTP 400\]/);
    expect((await agx(["quote", "echo"], env)).err).toContain("is not a service id (svc_…");
  });

  let hookId = "";
  it("creates a webhook endpoint for pairing events and lists it", async () => {
    const made = await agx(
      ["webhooks", "create", "https://hooks.example.com/cli", "--events", "pairing.*,order.*"],
      env,
    );
    expect(made.code, made.err).toBe(0);
    hookId = /^endpoint (\S+) →/.exec(made.out)?.[1] ?? "";
    expect(made.out).toMatch(/secret {3}whsec_\S+\nshown once/);
    const list = await agx(["webhooks", "list"], env);
    expect(list.out).toMatch(
      new RegExp(`${hookId}\\s+https://hooks\\.example\\.com/cli\\s+pairing\\.\\*,order\\.\\*`),
    );
    expect(list.out).toMatch(/event types: .*pairing\.updated/);
  });

  it("registers a machine by signing its challenge, lists and shows it, and revokes a pairing", async () => {
    const controller = generatePrivateKey();
    const address = privateKeyToAccount(controller).address;
    const ref = `did:pkh:eip155:3338:${address}`;
    const noProof = await agx(["machines", "register", ref], env);
    expect(noProof.code).toBe(clientExitCodes.usage);
    expect(noProof.err).toContain("AGX_MACHINE_KEY");
    const reg = await agx(
      ["machines", "register", ref, "--name", "Rover", "--capability", "camera"],
      { ...env, AGX_MACHINE_KEY: controller },
    );
    expect(reg.code, reg.err).toBe(0);
    const id = /^machine {2}(mach_\S+) \(active\)/.exec(reg.out)?.[1] ?? "";
    expect(id).not.toBe("");
    expect(reg.out).toContain(`signer   ${address}`);
    const list = await agx(["machines", "list"], env);
    expect(list.out).toMatch(new RegExp(`${id}\\s+Rover\\s+active\\s+${ref}`));
    const show = await agx(["machines", "show", id, "--json"], env);
    expect(JSON.parse(show.out).item).toMatchObject({ id, capabilities: ["camera"] });
    const challenge = await agx(["machines", "challenge", ref], env);
    expect(challenge.out).toMatch(/sign exactly this text with EIP-191 personal_sign:\n/);

    const agent = privateKeyToAccount(generatePrivateKey());
    const agentBody = { agentAddress: agent.address, agentProvider: "cli", agentRole: "buyer" };
    const owner = h.admin.as({ apiKey: env.AGX_KEY ?? "" });
    const c = await owner.request<{ item: { challengeId: string; message: string } }>(
      "POST",
      `/api/v1/machines/${id}/agent-pairings/challenges`,
      { body: agentBody },
    );
    const paired = await owner.request<{ item: { id: string } }>(
      "POST",
      `/api/v1/machines/${id}/agent-pairings`,
      {
        body: {
          ...agentBody,
          agentProof: {
            challengeId: c.body.item.challengeId,
            signature: await agent.signMessage({ message: c.body.item.message }),
          },
          delegationPolicy: { currency: "USDC", dailySpendLimit: "5.00" },
        },
      },
    );
    const pairing = paired.body.item.id;
    const pairings = await agx(["pairings", "list"], env);
    expect(pairings.code, pairings.err).toBe(0);
    expect(pairings.out).toMatch(new RegExp(`${pairing}\\s+${id}\\s+active\\s+${agent.address}`));
    const revoked = await agx(["pairings", "revoke", id, pairing], env);
    expect(revoked.out).toMatch(/^revoked \S+: its tokens are refused from now on/);
    const after = await agx(["pairings", "list", id, "--json"], env);
    expect(JSON.parse(after.out).items[0].status).toBe("revoked");
  });

  it("shows the deliveries of the pairing events; redelivers every dead one, not a pending one", async () => {
    const deliveries = await agx(["webhooks", "deliveries", hookId, "--json"], env);
    const items = JSON.parse(deliveries.out).items as { id: string; type: string }[];
    expect(items.map((d) => d.type)).toContain("pairing.updated");
    const human = await agx(["webhooks", "deliveries", hookId], env);
    expect(human.out).toMatch(/^id\s+type\s+status\s+attempts\s+last\s+created\n/);
    // Without workers the delivery is still pending: the hub refuses, and the CLI says why.
    const one = await agx(["webhooks", "redeliver", hookId, items[0]?.id ?? ""], env);
    expect(one.code).toBe(clientExitCodes.problem);
    expect(one.err).toMatch(
      /^agx: .+ is still being attempted \[WEBHOOK_DELIVERY_PENDING, HTTP 409\]/,
    );
    const dead = await agx(["webhooks", "redeliver", hookId], env);
    expect(dead.out).toMatch(/^\d+ dead deliveries sent again/);
    const status = await agx(["webhooks", "deliveries", hookId, "--status", "lost"], env);
    expect(status.code).toBe(clientExitCodes.usage);
  });

  it("colours only when asked (a TTY without NO_COLOR), and never under --json", async () => {
    const plain = await agx(["keys", "list"], env);
    expect(plain.out).not.toContain("\u001b[");
    const coloured = await agx(["keys", "list"], env, { colour: true });
    expect(coloured.out.startsWith("\u001b[1mid ")).toBe(true);
    const json = await agx(["keys", "list", "--json"], env, { colour: true });
    expect(() => JSON.parse(json.out)).not.toThrow();
  });

  it("exits 3 with one readable line for every command when the hub is down", async () => {
    const down = { AGX_URL: "http://127.0.0.1:9", AGX_KEY: "sk_agx_x" };
    for (const args of [
      ["keys", "list"],
      ["machines", "list"],
      ["pairings", "list"],
      ["webhooks", "list"],
      ["quote", "svc_00000000000000000000000000"],
    ]) {
      const r = await agx(args, down);
      expect(r.code, args.join(" ")).toBe(clientExitCodes.unreachable);
      expect(r.err).toMatch(/^agx: cannot reach http:\/\/127\.0\.0\.1:9: .+\n$/);
    }
  });
});
