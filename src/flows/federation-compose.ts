import type { Config } from "../config.ts";
import type { Database } from "../db/db.ts";
import {
  createFederation,
  type Federation,
  federationLimits,
  guardedPeerFetch,
} from "../federation/index.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/logger.ts";
import type { Ledger } from "../ledger/index.ts";
import { createSecretBox } from "../machines/index.ts";
import type { KeySet, Receipts } from "../receipts/index.ts";
import { createRouting, type Routing } from "./federation.ts";

/** The federation module and its routing flow, wired to this hub (see compose.ts). */
export function composeFederation(parts: {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  ledger: Ledger;
  receipts: Receipts;
  keys: KeySet;
  publicUrl: () => string;
  checkUrl: (raw: string, pointer: string) => Promise<void>;
  /** 32 bytes that seal this hub's credentials at its peers. */
  credential_key: Uint8Array;
}): { federation: Federation; routing: Routing } {
  const { config, db, clock, logger, publicUrl } = parts;
  const decimalsOf = (asset: string) => config.assets.find((a) => a.code === asset)?.decimals ?? 6;
  const fetch = guardedPeerFetch(
    { allowHosts: config.outbound_allow_hosts, allowPrivate: config.outbound_allow_private },
    publicUrl,
  );
  const federation = createFederation({
    db,
    clock,
    logger,
    publicUrl,
    fetch,
    checkUrl: parts.checkUrl,
    secrets: createSecretBox(parts.credential_key),
    decimalsOf,
  });
  const routing = createRouting({
    db,
    clock,
    logger,
    ledger: parts.ledger,
    receipts: parts.receipts,
    federation,
    fetch,
    publicUrl,
    decimalsOf,
    signer: async () => (await parts.keys.signingKey(db.kysely)).privateKey,
    routing_fee_bps: federationLimits.routing_fee_bps,
  });
  return { federation, routing };
}
