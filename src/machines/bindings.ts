import { createPublicKey, verify } from "node:crypto";
import type { Executor } from "../db/db.ts";
import { type Clock, isoOf } from "../kernel/clock.ts";
import { newId, randomToken } from "../kernel/ids.ts";
import { Problem } from "../kernel/problem.ts";
import * as store from "./bindings-store.ts";
import { ed25519KeyOfDid } from "./did-key.ts";
import { recoverPersonalSigner, sameAddress } from "./eip191.ts";
import { checksummed, didPkhOf, parseIdentityRef } from "./identity-ref.ts";
import { machineLimits } from "./limits.ts";
import type { Address, KeyBinding, KeyBindingChallenge, KeyType } from "./model.ts";
import { machineProblems } from "./problems.ts";

/** A key named by the client: `did:key:z6Mk…` (Ed25519), `did:pkh:eip155:…` or `0x…` (EVM). */
interface ParsedKey {
  key_type: KeyType;
  did: string;
  address: Address | null;
  ed25519: Uint8Array | null;
}

function parseKey(text: string): ParsedKey {
  const ed = ed25519KeyOfDid(text);
  if (ed) return { key_type: "ed25519", did: text, address: null, ed25519: ed };
  if (/^0x[0-9a-fA-F]{40}$/.test(text)) {
    const address = checksummed(text);
    return { key_type: "evm", did: didPkhOf(address, 1), address, ed25519: null };
  }
  const pkh = parseIdentityRef(text);
  if (pkh?.kind === "did:pkh" && pkh.address) {
    return { key_type: "evm", did: pkh.ref, address: pkh.address, ed25519: null };
  }
  throw new Problem(
    machineProblems.KEY_BINDING_KEY_INVALID,
    "give an Ed25519 did:key, an EVM did:pkh or an EVM address",
    { errors: [{ pointer: "/key", detail: "not a supported key" }] },
  );
}

/** Ed25519 signatures arrive as 64 bytes in base64url or hex. */
function signatureBytes(signature: string): Buffer | null {
  if (/^[0-9a-fA-F]{128}$/.test(signature)) return Buffer.from(signature, "hex");
  if (/^[A-Za-z0-9_-]{86}$/.test(signature)) return Buffer.from(signature, "base64url");
  return null;
}

function verifyEd25519(publicKey: Uint8Array, message: string, signature: string): boolean {
  const sig = signatureBytes(signature);
  if (!sig) return false;
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey).toString("base64url") },
    format: "jwk",
  });
  return verify(null, Buffer.from(message, "utf8"), key, sig);
}

/**
 * External key bindings: a principal proves control of an Ed25519 or EVM key by signing a hub
 * challenge. A key is bound to one principal at a time (a partial unique index); binding it
 * again to the same principal answers the existing binding.
 */
export function createKeyBindings(deps: {
  clock: Clock;
  hub: () => string;
  challenge_ttl_ms: number;
}) {
  const { clock } = deps;

  async function challenge(tx: Executor, principal_id: string, key: string) {
    const parsed = parseKey(key);
    const now_ms = clock.now_ms();
    const id = newId("kbc", now_ms);
    const expires_at_ms = now_ms + deps.challenge_ttl_ms;
    const message = [
      `${deps.hub()} asks you to bind this key to principal ${principal_id}.`,
      "",
      `Key: ${parsed.did}`,
      `Challenge: ${id}`,
      `Nonce: ${randomToken(16)}`,
      `Issued At: ${isoOf(now_ms)}`,
      `Expiration Time: ${isoOf(expires_at_ms)}`,
    ].join("\n");
    const c: KeyBindingChallenge = {
      id,
      principal_id,
      key_type: parsed.key_type,
      did: parsed.did,
      message,
      expires_at_ms,
      consumed_at_ms: null,
      created_at_ms: now_ms,
    };
    await store.insertChallenge(tx, c);
    return c;
  }

  async function checkSignature(c: KeyBindingChallenge, signature: string): Promise<ParsedKey> {
    const parsed = parseKey(c.did);
    const ok = parsed.ed25519
      ? verifyEd25519(parsed.ed25519, c.message, signature)
      : sameAddress(
          (await recoverPersonalSigner(c.message, signature, [parsed.address ?? ""])) ?? "",
          parsed.address ?? "",
        );
    if (!ok) {
      throw new Problem(machineProblems.KEY_BINDING_PROOF_INVALID, `not signed by ${c.did}`);
    }
    return parsed;
  }

  /** Verifies a signed challenge and stores the binding. */
  async function bind(
    tx: Executor,
    principal_id: string,
    input: { challenge_id: string; signature: string },
  ): Promise<KeyBinding> {
    const c = await store.getChallenge(tx, input.challenge_id);
    if (!c || c.principal_id !== principal_id) {
      throw new Problem(machineProblems.KEY_BINDING_PROOF_INVALID, "no such challenge for you");
    }
    const now_ms = clock.now_ms();
    if (c.consumed_at_ms !== null || c.expires_at_ms <= now_ms) {
      throw new Problem(machineProblems.KEY_BINDING_PROOF_EXPIRED, "ask for a new challenge");
    }
    const parsed = await checkSignature(c, input.signature);
    const existing = await store.liveBindingOfDid(tx, c.did);
    if (existing?.principal_id === principal_id) return existing;
    if (existing) {
      throw new Problem(machineProblems.KEY_BINDING_EXISTS, `${c.did} is bound elsewhere`);
    }
    if (
      (await store.bindingsOf(tx, principal_id)).length >=
      machineLimits.key_bindings_per_principal_max
    ) {
      throw new Problem(
        machineProblems.KEY_BINDING_LIMIT_REACHED,
        `at most ${machineLimits.key_bindings_per_principal_max} bound keys per principal`,
      );
    }
    if (!(await store.consumeChallenge(tx, c.id, now_ms))) {
      throw new Problem(machineProblems.KEY_BINDING_PROOF_EXPIRED, "the challenge was just used");
    }
    const binding: KeyBinding = {
      id: newId("kb", now_ms),
      principal_id,
      key_type: parsed.key_type,
      did: parsed.did,
      address: parsed.address,
      verified_at_ms: now_ms,
      revoked_at_ms: null,
      created_at_ms: now_ms,
    };
    if (!(await store.insertBinding(tx, binding, c.id))) {
      throw new Problem(machineProblems.KEY_BINDING_EXISTS, `${c.did} was bound meanwhile`);
    }
    return binding;
  }

  async function revoke(tx: Executor, principal_id: string, id: string): Promise<void> {
    if (!(await store.revokeBinding(tx, principal_id, id, clock.now_ms()))) {
      throw new Problem(machineProblems.KEY_BINDING_NOT_FOUND, `no live key binding ${id}`);
    }
  }

  return {
    challenge,
    bind,
    revoke,
    list: store.bindingsOf,
    purgeExpired: (ex: Executor, limit: number) => store.purgeChallenges(ex, clock.now_ms(), limit),
  };
}

export type KeyBindings = ReturnType<typeof createKeyBindings>;
