import { createPublicKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig } from "../config.ts";
import type { openDatabase } from "../db/db.ts";
import { systemClock } from "../kernel/clock.ts";
import type { createKeySet, createReceipts, KeyLookup, VerifyResult } from "../receipts/index.ts";
import { loadHub, overridesOf, type StorageFlags, storageOptions } from "./storage.ts";

/** A key lookup over a JWKS document (for receipts of other hubs, or offline checks). */
export function jwksLookup(jwks: unknown): KeyLookup {
  const keys = (jwks as { keys?: { kid?: string; kty?: string; crv?: string; x?: string }[] }).keys;
  if (!Array.isArray(keys)) throw new Error("the JWKS has no keys array");
  return async (kid) => {
    const jwk = keys.find((k) => k.kid === kid && k.kty === "OKP" && k.crv === "Ed25519");
    if (!jwk?.x) return null;
    return {
      key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" }),
      raw: Buffer.from(jwk.x, "base64url"),
      revoked: false,
    };
  };
}

async function withHubStorage<T>(
  flags: StorageFlags,
  work: (parts: {
    receipts: ReturnType<typeof createReceipts>;
    keys: ReturnType<typeof createKeySet>;
    db: ReturnType<typeof openDatabase>;
  }) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ overrides: overridesOf(flags) });
  // Storage modules load only here: hub-client commands do not pay for them at start.
  const [{ allMigrations, databaseTargetOf }, { openDatabase }, { migrateToLatest }] =
    await Promise.all([loadHub(), import("../db/db.ts"), import("../db/migrate.ts")]);
  const { createKeySet, createReceipts } = await import("../receipts/index.ts");
  const db = openDatabase(databaseTargetOf(config));
  try {
    await migrateToLatest(db, allMigrations);
    const keys = createKeySet({
      clock: systemClock,
      secret: config.secret_key,
      overlap_ms: config.receipt_key_overlap_ms,
    });
    const receipts = createReceipts({
      clock: systemClock,
      keys,
      profile: config.receipt_profile,
      public_url: config.public_url ?? `http://${config.host}:${config.port}`,
    });
    return await work({ receipts, keys, db });
  } finally {
    await db.close();
  }
}

function printResult(result: VerifyResult): void {
  if (result.valid) {
    process.stdout.write(
      `valid ${result.profile} receipt, kid ${result.kid}\n${JSON.stringify(result.payload, null, 2)}\n`,
    );
  } else {
    process.stderr.write(`invalid: ${result.code}: ${result.reason}\n`);
    process.exitCode = 1;
  }
}

/** `agx receipt verify` and `agx receipt keys rotate|list|revoke` (the hub's signing keys). */
export function registerReceiptCommands(program: Command): void {
  const receipt = program.command("receipt").description("PEAC receipts");
  const verify = receipt
    .command("verify <jws-or-file>")
    .description("verify a receipt (exit 0 valid, 1 invalid, 2 usage error)")
    .option("--jwks <file>", "verify against this JWKS file instead of this hub's keys");
  for (const o of storageOptions()) verify.addOption(o);
  verify.action(async (input: string, flags: StorageFlags & { jwks?: string }) => {
    const jws = (existsSync(input) ? readFileSync(input, "utf8") : input).trim();
    const now_s = Math.floor(Date.now() / 1000);
    if (flags.jwks) {
      const lookup = jwksLookup(JSON.parse(readFileSync(flags.jwks, "utf8")));
      const { verifyReceipt } = await import("../receipts/index.ts");
      printResult(await verifyReceipt(jws, { resolveKey: lookup, now_s }));
      return;
    }
    await withHubStorage(flags, async ({ receipts, db }) => {
      printResult(await receipts.verify(db.kysely, jws));
    });
  });

  const keys = receipt.command("keys").description("the receipt signing key set (operator)");
  const rotate = keys.command("rotate").description("start signing with the published next key");
  const list = keys.command("list").description("list published and revoked keys");
  const revoke = keys.command("revoke <kid>").description("revoke a key at once (compromise)");
  revoke.option("--reason <text>", "why", "revoked by operator");
  for (const cmd of [rotate, list, revoke]) for (const o of storageOptions()) cmd.addOption(o);
  rotate.action(async (flags: StorageFlags) => {
    await withHubStorage(flags, async ({ keys: set, db }) => {
      const r = await db.transaction((tx) => set.rotate(tx));
      process.stdout.write(`retired ${r.retired}\nactive  ${r.active}\nnext    ${r.next}\n`);
    });
  });
  list.action(async (flags: StorageFlags) => {
    await withHubStorage(flags, async ({ keys: set, db }) => {
      await set.ensure(db.kysely);
      for (const k of [...(await set.published(db.kysely)), ...(await set.revoked(db.kysely))]) {
        process.stdout.write(`${k.kid}  ${k.state}\n`);
      }
    });
  });
  revoke.action(async (kid: string, flags: StorageFlags & { reason: string }) => {
    await withHubStorage(flags, async ({ keys: set, db }) => {
      const done = await db.transaction((tx) => set.revoke(tx, kid, flags.reason));
      process.stdout.write(done ? `revoked ${kid}\n` : `no live key ${kid}\n`);
      if (!done) process.exitCode = 1;
    });
  });
}
