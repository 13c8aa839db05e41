import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  parseEther,
  parseEventLogs,
  type Address as ViemAddress,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_CHAIN_ID, type Anvil, startAnvil } from "../../test/support/anvil.ts";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import {
  erc1056Abi,
  erc1056Resolver,
  registryResolver,
  resolveControllers,
} from "./controllers.ts";
import { erc1056Bytecode } from "./erc1056-testing.ts";
import { machineMigrations } from "./migrations.ts";
import type { Address } from "./model.ts";
import {
  expectProblem,
  newAccount,
  registerMachine,
  signedChallenge,
  testMachines,
} from "./testing.ts";

let anvil: Anvil | null = null;
let registry: Address = "0x0000000000000000000000000000000000000000";
const chain = {
  id: ANVIL_CHAIN_ID,
  name: "anvil",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://127.0.0.1"] } },
} as const;

const clients = () => {
  const transport = http(anvil?.rpc_url);
  return {
    pub: createPublicClient({ chain, transport }),
    wallet: createWalletClient({ chain, transport }),
    test: createTestClient({ chain, mode: "anvil", transport }),
  };
};

/** Gives a generated key gas money and calls changeOwner from it. */
async function changeOwner(owner: ReturnType<typeof newAccount>, identity: Address, to: Address) {
  const { pub, wallet, test } = clients();
  await test.setBalance({ address: owner.address, value: parseEther("1") });
  const hash = await wallet.writeContract({
    account: owner,
    address: registry as ViemAddress,
    abi: erc1056Abi,
    functionName: "changeOwner",
    args: [identity as ViemAddress, to as ViemAddress],
  });
  return pub.waitForTransactionReceipt({ hash });
}

beforeAll(async () => {
  anvil = await startAnvil();
  if (!anvil) return;
  const { pub, wallet } = clients();
  // anvil's first dev account is unlocked: it signs the deployment itself.
  const [deployer] = await wallet.getAddresses();
  if (!deployer) throw new Error("anvil has no dev accounts");
  const hash = await wallet.deployContract({
    account: deployer,
    abi: erc1056Abi,
    bytecode: erc1056Bytecode(),
  });
  const receipt = await pub.waitForTransactionReceipt({ hash });
  registry = receipt.contractAddress as Address;
});
afterAll(async () => {
  await anvil?.stop();
});

const resolver = () =>
  erc1056Resolver({
    rpc_url: anvil?.rpc_url ?? "",
    registry_address: registry,
    chain_id: ANVIL_CHAIN_ID,
  });

describe("the hand-assembled ERC-1056 registry on anvil", () => {
  it("says an identity owns itself until changeOwner names another owner", async (t) => {
    if (!anvil) return t.skip();
    const { pub } = clients();
    const identity = newAccount();
    const next = newAccount();
    const read = () =>
      pub.readContract({
        address: registry as ViemAddress,
        abi: erc1056Abi,
        functionName: "identityOwner",
        args: [identity.address],
      });
    expect(await read()).toBe(identity.address);
    const receipt = await changeOwner(identity, identity.address, next.address);
    expect(await read()).toBe(next.address);
    const [log] = parseEventLogs({ abi: erc1056Abi, logs: receipt.logs });
    expect(log?.eventName).toBe("DIDOwnerChanged");
    expect(log?.args).toEqual({
      identity: identity.address,
      owner: next.address,
      previousChange: 0n,
    });
  });

  it("refuses changeOwner from anyone but the current owner", async (t) => {
    if (!anvil) return t.skip();
    const identity = newAccount();
    const stranger = newAccount();
    await expect(changeOwner(stranger, identity.address, stranger.address)).rejects.toThrow();
  });

  it("records the block of the previous change in the next DIDOwnerChanged", async (t) => {
    if (!anvil) return t.skip();
    const identity = newAccount();
    const second = newAccount();
    const first = await changeOwner(identity, identity.address, second.address);
    const again = await changeOwner(second, identity.address, identity.address);
    const [log] = parseEventLogs({ abi: erc1056Abi, logs: again.logs });
    expect(log?.args).toMatchObject({ previousChange: first.blockNumber });
  });
});

describe("ERC-1056 controller resolution over RPC", () => {
  it("resolves did:ethr to the registry's identityOwner", async (t) => {
    if (!anvil) return t.skip();
    const identity = newAccount();
    const found = await resolver().resolve(null as never, `did:ethr:${identity.address}`);
    expect(found).toEqual({ addresses: [identity.address], source: "erc1056" });
  });

  it("leaves refs of other chains and methods to other resolvers", async (t) => {
    if (!anvil) return t.skip();
    const a = newAccount().address;
    expect(await resolver().resolve(null as never, `did:ethr:0x1:${a}`)).toBeNull();
    expect(await resolver().resolve(null as never, `did:peaq:${a}`)).toBeNull();
    expect(await resolver().resolve(null as never, `did:ethr:0x7a69:${a}`)).not.toBeNull();
  });

  it("fails closed with MACHINE_IDENTITY_UNAVAILABLE when the RPC does not answer", async () => {
    const dead = erc1056Resolver({
      rpc_url: "http://127.0.0.1:9",
      registry_address: registry,
      chain_id: ANVIL_CHAIN_ID,
      timeout_ms: 1_000,
    });
    const ref = `did:ethr:${newAccount().address}`;
    await expectProblem(
      resolveControllers([dead], null as never, ref),
      "MACHINE_IDENTITY_UNAVAILABLE",
    );
  });
});

describeStores(
  "machines whose controller lives on chain",
  (store) => {
    const clock = manualClock();
    const owner = "prn_owner";
    const viewer = { principal_id: owner, admin: false };

    it("blocks a machine once its on-chain owner changed, until re-proved", async (t) => {
      if (!anvil) return t.skip();
      const machines = testMachines(clock, [registryResolver(), resolver()]);
      const identity = newAccount();
      const ref = `did:ethr:${identity.address}`;
      const m = await registerMachine(machines, store.db, owner, ref, identity);
      expect(m.identity_proof.resolution_source).toBe("erc1056");
      const heir = newAccount();
      await changeOwner(identity, identity.address, heir.address);
      await expectProblem(
        machines.requireBound(store.db.kysely, viewer, m.id, { active: true }),
        "MACHINE_IDENTITY_PROOF_INVALID",
      );
      expect((await machines.get(store.db.kysely, viewer, m.id)).status).toBe("blocked");
      const old = await signedChallenge(machines, store.db, owner, ref, identity);
      await expectProblem(
        machines.verifyProof(store.db.kysely, owner, ref, old.proof),
        "MACHINE_IDENTITY_PROOF_INVALID",
      );
      const fresh = await signedChallenge(machines, store.db, owner, ref, heir);
      const proof = await machines.verifyProof(store.db.kysely, owner, ref, fresh.proof);
      const back = await store.db.transaction((tx) => machines.reprove(tx, viewer, m.id, proof));
      expect(back.status).toBe("active");
      expect(back.identity_proof.signer_address).toBe(heir.address);
    });

    it("lets an operator registry entry override the chain for the same ref", async (t) => {
      if (!anvil) return t.skip();
      const machines = testMachines(clock, [registryResolver(), resolver()]);
      const identity = newAccount();
      const delegate = newAccount();
      const ref = `did:ethr:${identity.address}`;
      await store.db.transaction((tx) =>
        machines.setRegistryControllers(tx, "prn_operator", ref, [delegate.address]),
      );
      const m = await registerMachine(machines, store.db, owner, ref, delegate);
      expect(m.identity_proof.resolution_source).toBe("registry");
    });
  },
  { migrations: machineMigrations },
);
