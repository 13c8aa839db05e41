/**
 * A minimal ERC-1056 (EthereumDIDRegistry) for tests, assembled here by hand because no Solidity
 * compiler is available. Only tests import this file; the hub talks to any deployed ERC-1056
 * registry through `erc1056Abi`, whose two functions this contract implements with the same
 * selectors, argument encoding and results:
 *
 * - `identityOwner(address identity) view returns (address)` — selector 0x8733d4e8: the stored
 *   owner of `identity`, or `identity` itself when none is stored.
 * - `changeOwner(address identity, address newOwner)` — selector 0xf00d4b5d: reverts unless the
 *   caller is `identityOwner(identity)`; stores `newOwner`; records the block number of the
 *   change and emits `DIDOwnerChanged(identity indexed, newOwner, previousChange)` as upstream.
 *
 * Storage differs from upstream's Solidity layout (not part of the ABI): `owners[identity]` is at
 * slot `identity` and `changed[identity]` at slot `identity | 2^160`; both keys are below 2^161,
 * so they cannot collide. Any other selector, a call with value, short calldata or an argument
 * with non-zero upper 96 bits reverts with empty data, as a Solidity contract would.
 */
import { type Hex, keccak256, toHex } from "viem";

/** One assembly item: an opcode, a push of a constant, a label, or a push of a label's offset. */
type Item = string | { push: bigint; bytes: number } | { label: string } | { ref: string };

const OPCODES: Record<string, number> = {
  STOP: 0x00,
  LT: 0x10,
  EQ: 0x14,
  ISZERO: 0x15,
  OR: 0x17,
  SHL: 0x1b,
  SHR: 0x1c,
  CALLER: 0x33,
  CALLVALUE: 0x34,
  CALLDATALOAD: 0x35,
  CALLDATASIZE: 0x36,
  CODECOPY: 0x39,
  NUMBER: 0x43,
  POP: 0x50,
  MSTORE: 0x52,
  SLOAD: 0x54,
  SSTORE: 0x55,
  JUMP: 0x56,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  DUP1: 0x80,
  DUP2: 0x81,
  DUP3: 0x82,
  SWAP1: 0x90,
  LOG2: 0xa2,
  RETURN: 0xf3,
  REVERT: 0xfd,
};

const push = (value: bigint | number, bytes = 1): Item => ({ push: BigInt(value), bytes });
const PUSH0 = 0x5f; // PUSHn is PUSH0 + n

/** Two passes: label offsets first (every label reference is a PUSH2), then the bytes. */
export function assemble(items: readonly Item[]): Uint8Array {
  const labels = new Map<string, number>();
  let offset = 0;
  for (const it of items) {
    if (typeof it === "string") offset += 1;
    else if ("label" in it) {
      labels.set(it.label, offset);
      offset += 1; // the JUMPDEST a label stands for
    } else offset += 1 + ("ref" in it ? 2 : it.bytes);
  }
  const out: number[] = [];
  const pushBytes = (value: bigint, n: number) => {
    out.push(PUSH0 + n);
    for (let i = n - 1; i >= 0; i--) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  };
  for (const it of items) {
    if (typeof it === "string") {
      const op = OPCODES[it];
      if (op === undefined) throw new Error(`unknown opcode ${it}`);
      out.push(op);
    } else if ("label" in it) out.push(OPCODES.JUMPDEST as number);
    else if ("ref" in it) {
      const target = labels.get(it.ref);
      if (target === undefined) throw new Error(`unknown label ${it.ref}`);
      pushBytes(BigInt(target), 2);
    } else pushBytes(it.push, it.bytes);
  }
  return Uint8Array.from(out);
}

const DID_OWNER_CHANGED = BigInt(keccak256(toHex("DIDOwnerChanged(address,address,uint256)")));

/** Reverts unless the word on top of the stack is a clean address (upper 96 bits zero). */
const requireAddress: Item[] = ["DUP1", push(0xa0), "SHR", { ref: "revert" }, "JUMPI"];

/** The runtime program (see the file comment for its semantics). */
// biome-ignore format: one line per step keeps the stack comments next to their opcodes.
export const erc1056Runtime: readonly Item[] = [
  // Dispatch on the 4-byte selector; calls with value are refused by both functions.
  "CALLVALUE", { ref: "revert" }, "JUMPI",
  push(0), "CALLDATALOAD", push(0xe0), "SHR",
  "DUP1", push(0x8733d4e8, 4), "EQ", { ref: "identityOwner" }, "JUMPI",
  "DUP1", push(0xf00d4b5d, 4), "EQ", { ref: "changeOwner" }, "JUMPI",
  { label: "revert" }, push(0), "DUP1", "REVERT",

  // identityOwner(identity): stored owner, else identity.
  { label: "identityOwner" },
  push(0x24), "CALLDATASIZE", "LT", { ref: "revert" }, "JUMPI",
  push(0x04), "CALLDATALOAD", ...requireAddress, // identity
  "DUP1", "SLOAD", // identity owner
  "DUP1", { ref: "haveOwner" }, "JUMPI",
  "POP", { ref: "returnTop" }, "JUMP", // identity
  { label: "haveOwner" }, "SWAP1", "POP", // owner
  { label: "returnTop" }, push(0), "MSTORE", push(0x20), push(0), "RETURN",

  // changeOwner(identity, newOwner): only the current owner; records the block; logs.
  { label: "changeOwner" },
  push(0x44), "CALLDATASIZE", "LT", { ref: "revert" }, "JUMPI",
  push(0x04), "CALLDATALOAD", ...requireAddress, // identity
  push(0x24), "CALLDATALOAD", ...requireAddress, // identity newOwner
  "DUP2", "SLOAD", // identity newOwner stored
  "DUP1", { ref: "checkCaller" }, "JUMPI",
  "POP", "DUP2", // identity newOwner identity  (no stored owner: the identity owns itself)
  { label: "checkCaller" }, // identity newOwner currentOwner
  "CALLER", "EQ", "ISZERO", { ref: "revert" }, "JUMPI", // identity newOwner
  "DUP1", "DUP3", "SSTORE", // owners[identity] = newOwner
  "DUP2", push(1), push(0xa0), "SHL", "OR", // identity newOwner changedSlot
  "DUP1", "SLOAD", "SWAP1", // identity newOwner previousChange changedSlot
  "NUMBER", "SWAP1", "SSTORE", // changed[identity] = block.number
  push(0x20), "MSTORE", push(0), "MSTORE", // memory: newOwner, previousChange
  push(DID_OWNER_CHANGED, 32), push(0x40), push(0), "LOG2", // topics: event, identity
  "STOP",
];

/** Deployment code: copies the runtime that follows it into memory and returns it. */
export function erc1056Bytecode(): Hex {
  const runtime = assemble(erc1056Runtime);
  const prefixLength = 15; // PUSH2 len, PUSH2 offset, PUSH1 0, CODECOPY, PUSH2 len, PUSH1 0, RETURN
  const init = assemble([
    push(runtime.length, 2),
    push(prefixLength, 2),
    push(0),
    "CODECOPY",
    push(runtime.length, 2),
    push(0),
    "RETURN",
  ]);
  if (init.length !== prefixLength) throw new Error("deployment prefix length changed");
  return toHex(Uint8Array.from([...init, ...runtime]));
}
