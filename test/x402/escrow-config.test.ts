import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_LOCK_EVENT, loadConfig } from "../../src/config.ts";
import { escrowTermsOf } from "../../src/flows/escrow-proof.ts";

const ESCROW = "0x8A791620dd6260079BF849Dc5567aDC3F2FdC318";
const load = (env: Record<string, string>) =>
  loadConfig({ env: { AGX_X402_RPC_URL: "http://127.0.0.1:8545", ...env }, cwd: "/tmp" });

/** AGX_EVM_ESCROW: which escrow contract and lock event verify onchain-escrow proofs. */
describe("the escrow setting (AGX_EVM_ESCROW)", () => {
  it("reads a chain's escrow contract and defaults its lock event", () => {
    const c = load({ AGX_EVM_ESCROW: JSON.stringify({ "eip155:8453": { address: ESCROW } }) });
    expect(c.evm_escrow).toEqual({
      "eip155:8453": { address: ESCROW, lock_event: DEFAULT_LOCK_EVENT },
    });
    const terms = escrowTermsOf(c);
    expect(terms.escrows["eip155:8453"]?.event.name).toBe("Locked");
  });

  it("refuses to start with a lock event that lacks orderRef, payer, token or amount", () => {
    const bad = { "eip155:8453": { address: ESCROW, lock_event: "Locked(bytes32 orderRef)" } };
    expect(() => load({ AGX_EVM_ESCROW: JSON.stringify(bad) })).toThrow(ConfigError);
    const garbled = { "eip155:8453": { address: ESCROW, lock_event: "Locked(" } };
    expect(() => load({ AGX_EVM_ESCROW: JSON.stringify(garbled) })).toThrow(ConfigError);
  });

  it("refuses to start with an arbitrated escrow (a payee in its lock event) and no arbiter key", () => {
    const arbitrated = {
      "eip155:8453": {
        address: ESCROW,
        lock_event:
          "Locked(bytes32 indexed orderRef,address indexed payer,address token,uint256 amount,address payee)",
      },
    };
    const env = { AGX_EVM_ESCROW: JSON.stringify(arbitrated) };
    expect(() => load(env)).toThrow(/arbiter's key AGX_X402_GAS_KEY/);
    expect(() => load({ ...env, AGX_X402_GAS_KEY: "0x12" })).toThrow(/64 hex digits/);
    const key = `0x${"ab".repeat(32)}`;
    expect(load({ ...env, AGX_X402_GAS_KEY: key }).evm_escrow["eip155:8453"]?.address).toBe(ESCROW);
    // A lock-only escrow (no payee) is verified, never acted on: it needs no key.
    expect(() =>
      load({ AGX_EVM_ESCROW: JSON.stringify({ "eip155:8453": { address: ESCROW } }) }),
    ).not.toThrow();
  });

  it("refuses an escrow on a chain it has no RPC for, a bad address, or bad JSON", () => {
    const noRpc = { "eip155:10": { address: ESCROW } };
    expect(() => load({ AGX_EVM_ESCROW: JSON.stringify(noRpc) })).toThrow(/no RPC/);
    const badAddress = { "eip155:8453": { address: "0x12" } };
    expect(() => load({ AGX_EVM_ESCROW: JSON.stringify(badAddress) })).toThrow(ConfigError);
    expect(() => load({ AGX_EVM_ESCROW: "{" })).toThrow(ConfigError);
  });
});
