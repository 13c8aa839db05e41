import {
  concat,
  createWalletClient,
  type HDAccount,
  type Hex,
  http,
  pad,
  parseAbiItem,
  toEventSelector,
  toHex,
} from "viem";
import { chainOf } from "../../src/x402/index.ts";
import type { X402Chain } from "../support/x402-chain.ts";

/** The lock event the test escrow emits, as the hub is configured to read it. */
export const LOCK_EVENT =
  "Locked(bytes32 indexed orderRef,address indexed payer,address token,uint256 amount)";

/**
 * The smallest escrow that emits a real lock event, hand-assembled (no compiler needed): any
 * call with calldata `orderRef ‖ token ‖ amount` (three 32-byte words) logs
 * `Locked(orderRef, msg.sender, token, amount)` with orderRef and payer as topics; a lock of
 * amount 0 reverts. It moves no tokens: the hub trusts the configured contract's event, which
 * is what the tests exercise.
 *
 *   00 PUSH1 64 CALLDATALOAD ISZERO PUSH1 57 JUMPI  amount 0 → revert
 *   07 PUSH1 64 PUSH1 32 PUSH1 0 CALLDATACOPY        memory[0..64] = token, amount
 *   14 CALLER PUSH1 0 CALLDATALOAD PUSH32 topic0     topics: payer, orderRef, event id
 *   50 PUSH1 64 PUSH1 0 LOG3 STOP
 *   57 JUMPDEST PUSH1 0 DUP1 REVERT
 */
function runtime(): Hex {
  const topic0 = toEventSelector(parseAbiItem(`event ${LOCK_EVENT}`));
  return concat([
    "0x60403515603957",
    "0x60406020600037",
    "0x33600035",
    "0x7f",
    topic0,
    "0x60406000a300",
    "0x5b600080fd",
  ]);
}

/** Creation code: copies the runtime (which follows these 12 bytes) to memory and returns it. */
function creation(): Hex {
  const code = runtime();
  const size = toHex((code.length - 2) / 2, { size: 1 }).slice(2);
  return concat([`0x60${size}600c600039`, `0x60${size}6000f3`, code]);
}

/** Deploys a test escrow and returns a way to lock through it. */
export async function deployEscrow(c: X402Chain) {
  const transport = http(c.rpc_url);
  const chain = chainOf(c.chain_id, c.rpc_url);
  const wallet = (account: HDAccount) => createWalletClient({ account, chain, transport });
  const hash = await wallet(c.accounts.deployer).deployContract({ abi: [], bytecode: creation() });
  const receipt = await c.pub.waitForTransactionReceipt({ hash });
  const address = receipt.contractAddress as Hex;
  return {
    address,
    /**
     * Locks (emits the event) as `from`; returns the hash, once mined unless `wait: false`.
     * `gas` skips estimation, so a lock that reverts (amount 0) is still sent and mined.
     */
    async lock(
      from: HDAccount,
      spec: { order_ref: Hex; token: Hex; amount: bigint },
      options: { wait?: boolean; gas?: bigint } = {},
    ): Promise<Hex> {
      const data = concat([spec.order_ref, pad(spec.token), toHex(spec.amount, { size: 32 })]);
      const tx = await wallet(from).sendTransaction({
        to: address,
        data,
        ...(options.gas ? { gas: options.gas } : {}),
      });
      if (options.wait !== false) await c.pub.waitForTransactionReceipt({ hash: tx });
      return tx;
    },
  };
}
