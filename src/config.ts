import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type AbiEvent, parseAbiItem } from "viem";
import { limits } from "./kernel/limits.ts";
import { type Asset, defaultAssets } from "./kernel/money.ts";
import { marketLimits } from "./market/limits.ts";
import { pipelineLimits } from "./pipelines/limits.ts";
import { webhookLimits } from "./webhooks/limits.ts";

/**
 * The hub's configuration: defaults < `agx.config.json` (in the working directory or
 * AGX_CONFIG) < environment < command-line flags. Parsed once at start; in production, unsafe
 * settings refuse to start instead of warning.
 */
export interface Config {
  env: "development" | "test" | "production";
  host: string;
  /** 0 picks any free port; the chosen URL is logged. */
  port: number;
  /** The URL clients reach the hub at (links, manifests); derived from host/port when unset. */
  public_url: string | null;
  data_dir: string;
  /** postgres://… selects PostgreSQL; unset means the embedded SQLite file in `data_dir`. */
  database_url: string | null;
  /** PostgreSQL schema to use (tests run each in their own). */
  database_schema: string | null;
  log_level: string;
  /** An operator admin key to register instead of generating one on first start. */
  admin_key: string | null;
  assets: Asset[];
  idempotency_retention_ms: number;
  /** Trust X-Forwarded-For from a reverse proxy (needed for per-IP limits behind one). */
  trust_proxy: boolean;
  /** Run background workers (outbox, expiry) in this process. */
  workers: boolean;
  /** Encrypts secrets at rest (receipt signing keys). Required in production. */
  secret_key: string | null;
  /** The profile new receipts are signed in; both always verify. */
  receipt_profile: "peac-0.9" | "peac-wire-0.2";
  /** How often the receipt signing key rotates (seed: 30 days). */
  receipt_key_rotation_ms: number;
  /** How long a retired key stays published (seed: 7-day grace; upstream: ≥ 30 days). */
  receipt_key_overlap_ms: number;
  /** Outbound URLs (provider endpoints, webhooks, peers): hosts allowed to be non-public. */
  outbound_allow_hosts: string[];
  /** Let outbound URLs reach private ranges (a lab network); metadata addresses never. */
  outbound_allow_private: boolean;
  /** The hub's access policy file (peac.txt, either profile); unset serves an open default. */
  peac_txt: string | null;
  /** DPoP-bound keys must echo a server nonce (RFC 9449 §8): shorter replay windows. */
  dpop_require_nonce: boolean;
  /** How long a provider may take per call; interrupted runs are recovered after twice this. */
  execution_timeout_ms: number;
  /** HS256 secret of agent pairing tokens; required in production. */
  pairing_token_secret: string | null;
  /** The previous pairing secret, still accepted until `pairing_token_previous_until_ms`. */
  pairing_token_secret_previous: string | null;
  pairing_token_previous_until_ms: number | null;
  /** ERC-1056 controller lookups (identityOwner) for machine identities, all or none. */
  erc1056_rpc_url: string | null;
  erc1056_registry: string | null;
  erc1056_chain_id: number | null;
  /** The hub's fee on every settled order, in basis points (100 = 1 %). */
  hub_fee_bps: number;
  /**
   * Let any seller publish services on `builtin:` endpoints (the hub's own skills, run in its
   * process) and be paid for them; by default only admin keys may (the operator's catalogue).
   */
  builtin_resale: boolean;
  /** x402: the address paid for x402 purchases; unset means x402 is not offered. */
  x402_pay_to: string | null;
  /** x402: CAIP-2 network and ERC-20 asset (default Base mainnet USDC). */
  x402_network: string;
  x402_asset: string;
  /** x402: the token's EIP-712 domain (USDC: "USD Coin", "2"). */
  x402_eip712_name: string;
  x402_eip712_version: string;
  /** x402: the ledger asset the token is booked as (its decimals must be the token's). */
  x402_ledger_asset: string;
  /** x402: `local` (verify and settle here, over x402_rpc_url with x402_gas_key) or a URL. */
  x402_facilitator: string;
  x402_rpc_url: string | null;
  /** x402: the gas wallet's private key (local facilitator only). Secret: never logged. */
  x402_gas_key: string | null;
  /** RPC used to verify on-chain transfer proofs (deposits) on x402_network; default x402_rpc_url. */
  evm_rpc_url: string | null;
  /** Blocks a proven transfer must be buried under (1 = mined). */
  evm_confirmations: number;
  /** More chains for transaction-hash proofs: CAIP-2 → RPC URL (AGX_EVM_RPC_URLS). */
  evm_rpc_urls: Record<string, string>;
  /** Tokens by `<CAIP-2>/<ledger asset>` → token address (AGX_EVM_TOKENS). */
  evm_tokens: Record<string, string>;
  /**
   * On-chain escrow contracts whose lock events verify `onchain-escrow` proofs, by CAIP-2 chain
   * (AGX_EVM_ESCROW, JSON): `{address, lock_event}`; the event signature must name `orderRef`
   * (bytes32), `payer` and `token` (address) and `amount` (uint256). A chain without one records
   * escrow proofs unverified.
   */
  evm_escrow: Record<string, EscrowContract>;
  /**
   * How long an Idempotency-Key stays reserved by a request that never finished (its process
   * died): a retry before then is 409 IDEMPOTENCY_KEY_IN_USE. Keep it above the longest request.
   */
  idempotency_lock_ms: number;
  /**
   * How long a pipeline job's runner holds it without renewing (it renews every quarter of
   * this): a job whose process died is taken over by another runner after it. Shortened only
   * by tests and the crash harness.
   */
  pipeline_lease_ms: number;
  /** Waits between webhook attempts (after attempt 1, 2, …); shortened only by tests. */
  webhook_retry_schedule_ms: readonly number[];
  /** One webhook POST to a receiver. */
  webhook_timeout_ms: number;
  /** Market escrow orders: PROOF_SUBMITTED → REVIEWING by itself after this long (Pact: 72 h). */
  market_review_start_after_ms: number;
  /** Market escrow orders: REVIEWING → COMPLETED (accepted) by itself after this long (72 h). */
  market_auto_accept_after_ms: number;
}

/** An escrow contract and the signature of the event it emits when a buyer locks funds. */
export interface EscrowContract {
  address: string;
  /** e.g. `Locked(bytes32 indexed orderRef,address indexed payer,address token,uint256 amount)` */
  lock_event: string;
}

/** The lock event the hub reads when none is configured. */
export const DEFAULT_LOCK_EVENT =
  "Locked(bytes32 indexed orderRef,address indexed payer,address token,uint256 amount)";

const LOCK_EVENT_INPUTS: Readonly<Record<string, string>> = {
  orderRef: "bytes32",
  payer: "address",
  token: "address",
  amount: "uint256",
};

/**
 * The escrow lock event parsed from its signature (with or without the leading `event`); a
 * ConfigError unless it names orderRef/payer/token/amount with their types.
 */
export function lockEventOf(signature: string): AbiEvent {
  let item: ReturnType<typeof parseAbiItem>;
  try {
    item = parseAbiItem(signature.startsWith("event ") ? signature : `event ${signature}`);
  } catch (error) {
    throw new ConfigError(`AGX_EVM_ESCROW: ${signature} is not an event signature (${error})`);
  }
  if (item.type !== "event") throw new ConfigError(`AGX_EVM_ESCROW: ${signature} is no event`);
  for (const [name, type] of Object.entries(LOCK_EVENT_INPUTS)) {
    if (!item.inputs.some((i) => i.name === name && i.type === type)) {
      throw new ConfigError(`AGX_EVM_ESCROW: the lock event needs \`${type} ${name}\``);
    }
  }
  return item;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Source = Record<string, string | undefined>;
export type ConfigOverrides = Partial<Config>;

const FILE_KEYS = new Set<keyof Config>([
  "env",
  "host",
  "port",
  "public_url",
  "data_dir",
  "database_url",
  "database_schema",
  "log_level",
  "admin_key",
  "assets",
  "idempotency_retention_ms",
  "trust_proxy",
  "workers",
]);

function readFileConfig(env: Source, cwd: string): ConfigOverrides {
  const path = env.AGX_CONFIG ? resolve(cwd, env.AGX_CONFIG) : join(cwd, "agx.config.json");
  if (!existsSync(path)) {
    if (env.AGX_CONFIG) throw new ConfigError(`config file ${path} does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  for (const key of Object.keys(parsed)) {
    if (!FILE_KEYS.has(key as keyof Config)) throw new ConfigError(`unknown config key "${key}"`);
  }
  return parsed as ConfigOverrides;
}

function parsePort(text: string, name: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`${name} must be a port number 0–65535, got "${text}"`);
  }
  return port;
}

function parseBool(text: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new ConfigError(`${name} must be true or false, got "${text}"`);
}

const DAY_MS = 86_400_000;

function parseDays(text: string, name: string): number {
  const days = Number(text);
  if (!Number.isFinite(days) || days <= 0 || days > 3650) {
    throw new ConfigError(`${name} must be a number of days (0–3650], got "${text}"`);
  }
  return Math.round(days * DAY_MS);
}

function fromEnv(env: Source): ConfigOverrides {
  const out: ConfigOverrides = {};
  const e = (k: string) => (env[k] === undefined || env[k] === "" ? undefined : env[k]);
  const mode = e("AGX_ENV") ?? e("NODE_ENV");
  if (mode) out.env = mode as Config["env"];
  if (e("AGX_HOST")) out.host = e("AGX_HOST") as string;
  const port = e("AGX_PORT") ?? e("PORT");
  if (port) out.port = parsePort(port, "AGX_PORT");
  if (e("AGX_PUBLIC_URL")) out.public_url = e("AGX_PUBLIC_URL") as string;
  if (e("AGX_DATA_DIR")) out.data_dir = e("AGX_DATA_DIR") as string;
  if (e("DATABASE_URL")) out.database_url = e("DATABASE_URL") as string;
  if (e("AGX_DB_SCHEMA")) out.database_schema = e("AGX_DB_SCHEMA") as string;
  if (e("AGX_LOG_LEVEL")) out.log_level = e("AGX_LOG_LEVEL") as string;
  if (e("AGX_ADMIN_KEY")) out.admin_key = e("AGX_ADMIN_KEY") as string;
  if (e("AGX_TRUST_PROXY"))
    out.trust_proxy = parseBool(e("AGX_TRUST_PROXY") as string, "AGX_TRUST_PROXY");
  if (e("AGX_WORKERS")) out.workers = parseBool(e("AGX_WORKERS") as string, "AGX_WORKERS");
  if (e("AGX_SECRET_KEY")) out.secret_key = e("AGX_SECRET_KEY") as string;
  if (e("AGX_RECEIPT_PROFILE")) {
    out.receipt_profile = e("AGX_RECEIPT_PROFILE") as Config["receipt_profile"];
  }
  if (e("AGX_PEAC_TXT")) out.peac_txt = e("AGX_PEAC_TXT") as string;
  if (e("AGX_PAIRING_TOKEN_SECRET"))
    out.pairing_token_secret = e("AGX_PAIRING_TOKEN_SECRET") as string;
  if (e("AGX_PAIRING_TOKEN_SECRET_PREVIOUS")) {
    out.pairing_token_secret_previous = e("AGX_PAIRING_TOKEN_SECRET_PREVIOUS") as string;
  }
  const until = e("AGX_PAIRING_TOKEN_PREVIOUS_UNTIL");
  if (until) {
    const ms = Date.parse(until);
    if (Number.isNaN(ms))
      throw new ConfigError("AGX_PAIRING_TOKEN_PREVIOUS_UNTIL must be an ISO time");
    out.pairing_token_previous_until_ms = ms;
  }
  if (e("AGX_ERC1056_RPC_URL")) out.erc1056_rpc_url = e("AGX_ERC1056_RPC_URL") as string;
  if (e("AGX_ERC1056_REGISTRY")) out.erc1056_registry = e("AGX_ERC1056_REGISTRY") as string;
  const chain = e("AGX_ERC1056_CHAIN_ID");
  if (chain) {
    const id = Number(chain);
    if (!Number.isInteger(id) || id <= 0)
      throw new ConfigError("AGX_ERC1056_CHAIN_ID must be a chain id");
    out.erc1056_chain_id = id;
  }
  const nonce = e("AGX_DPOP_REQUIRE_NONCE");
  if (nonce) out.dpop_require_nonce = parseBool(nonce, "AGX_DPOP_REQUIRE_NONCE");
  const execMs = e("AGX_EXECUTION_TIMEOUT_MS");
  if (execMs) {
    const ms = Number(execMs);
    if (!Number.isInteger(ms) || ms < 100 || ms > 600_000) {
      throw new ConfigError("AGX_EXECUTION_TIMEOUT_MS must be 100–600000");
    }
    out.execution_timeout_ms = ms;
  }
  const fee = e("AGX_HUB_FEE_BPS");
  if (fee) {
    const bps = Number(fee);
    if (!Number.isInteger(bps))
      throw new ConfigError(`AGX_HUB_FEE_BPS must be an integer, got "${fee}"`);
    out.hub_fee_bps = bps;
  }
  const resale = e("AGX_BUILTIN_RESALE");
  if (resale) out.builtin_resale = parseBool(resale, "AGX_BUILTIN_RESALE");
  if (e("AGX_X402_PAY_TO")) out.x402_pay_to = e("AGX_X402_PAY_TO") as string;
  if (e("AGX_X402_NETWORK")) out.x402_network = e("AGX_X402_NETWORK") as string;
  if (e("AGX_X402_ASSET")) out.x402_asset = e("AGX_X402_ASSET") as string;
  if (e("AGX_X402_EIP712_NAME")) out.x402_eip712_name = e("AGX_X402_EIP712_NAME") as string;
  if (e("AGX_X402_EIP712_VERSION"))
    out.x402_eip712_version = e("AGX_X402_EIP712_VERSION") as string;
  if (e("AGX_X402_LEDGER_ASSET")) out.x402_ledger_asset = e("AGX_X402_LEDGER_ASSET") as string;
  if (e("AGX_X402_FACILITATOR")) out.x402_facilitator = e("AGX_X402_FACILITATOR") as string;
  if (e("AGX_X402_RPC_URL")) out.x402_rpc_url = e("AGX_X402_RPC_URL") as string;
  if (e("AGX_X402_GAS_KEY")) out.x402_gas_key = e("AGX_X402_GAS_KEY") as string;
  if (e("AGX_EVM_RPC_URL")) out.evm_rpc_url = e("AGX_EVM_RPC_URL") as string;
  if (e("AGX_EVM_CONFIRMATIONS")) {
    const n = Number(e("AGX_EVM_CONFIRMATIONS"));
    if (!Number.isInteger(n) || n < 1) throw new ConfigError("AGX_EVM_CONFIRMATIONS must be ≥ 1");
    out.evm_confirmations = n;
  }
  if (e("AGX_EVM_RPC_URLS")) out.evm_rpc_urls = pairsOf("AGX_EVM_RPC_URLS", e("AGX_EVM_RPC_URLS"));
  if (e("AGX_EVM_TOKENS")) out.evm_tokens = pairsOf("AGX_EVM_TOKENS", e("AGX_EVM_TOKENS"));
  if (e("AGX_EVM_ESCROW")) out.evm_escrow = escrowOf(e("AGX_EVM_ESCROW") as string);
  const lockMs = e("AGX_IDEMPOTENCY_LOCK_MS");
  if (lockMs) {
    const ms = Number(lockMs);
    if (!Number.isInteger(ms) || ms < 1000 || ms > 3_600_000) {
      throw new ConfigError("AGX_IDEMPOTENCY_LOCK_MS must be 1000–3600000");
    }
    out.idempotency_lock_ms = ms;
  }
  const leaseMs = e("AGX_PIPELINE_LEASE_MS");
  if (leaseMs) {
    const ms = Number(leaseMs);
    // At most an hour; the floor (10 s, a second in test) is checked with the mode.
    if (!Number.isInteger(ms) || ms < 1000 || ms > 3_600_000) {
      throw new ConfigError(
        "AGX_PIPELINE_LEASE_MS must be whole ms, 10000–3600000 (1000 and up in test mode)",
      );
    }
    out.pipeline_lease_ms = ms;
  }
  const schedule = e("AGX_WEBHOOK_RETRY_SCHEDULE_MS");
  if (schedule) {
    const waits = schedule.split(",").map((w) => Number(w.trim()));
    if (waits.length === 0 || waits.some((w) => !Number.isInteger(w) || w < 0 || w > 86_400_000)) {
      throw new ConfigError("AGX_WEBHOOK_RETRY_SCHEDULE_MS must be a comma list of 0–86400000");
    }
    out.webhook_retry_schedule_ms = waits;
  }
  for (const [name, field] of [
    ["AGX_MARKET_REVIEW_START_MS", "market_review_start_after_ms"],
    ["AGX_MARKET_AUTO_ACCEPT_MS", "market_auto_accept_after_ms"],
  ] as const) {
    const raw = e(name);
    if (!raw) continue;
    const ms = Number(raw);
    // At most 30 days; the floor (a minute, a second in test) is checked with the mode.
    if (!Number.isInteger(ms) || ms < 1000 || ms > 30 * 86_400_000) {
      throw new ConfigError(`${name} must be 60000–2592000000 (1 min – 30 days)`);
    }
    out[field] = ms;
  }
  const hookMs = e("AGX_WEBHOOK_TIMEOUT_MS");
  if (hookMs) {
    const ms = Number(hookMs);
    if (!Number.isInteger(ms) || ms < 100 || ms > 60_000) {
      throw new ConfigError("AGX_WEBHOOK_TIMEOUT_MS must be 100–60000");
    }
    out.webhook_timeout_ms = ms;
  }
  const hosts = e("AGX_OUTBOUND_ALLOW_HOSTS");
  if (hosts)
    out.outbound_allow_hosts = hosts
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean);
  const priv = e("AGX_OUTBOUND_ALLOW_PRIVATE");
  if (priv) out.outbound_allow_private = parseBool(priv, "AGX_OUTBOUND_ALLOW_PRIVATE");
  const rotation = e("AGX_RECEIPT_KEY_ROTATION_DAYS");
  if (rotation) out.receipt_key_rotation_ms = parseDays(rotation, "AGX_RECEIPT_KEY_ROTATION_DAYS");
  const overlap = e("AGX_RECEIPT_KEY_OVERLAP_DAYS");
  if (overlap) out.receipt_key_overlap_ms = parseDays(overlap, "AGX_RECEIPT_KEY_OVERLAP_DAYS");
  return out;
}

/** Builds the configuration from defaults, file, environment and flags, then checks it. */
export function loadConfig(
  options: { env?: Source; cwd?: string; overrides?: ConfigOverrides } = {},
): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const defaults: Config = {
    env: "development",
    host: "127.0.0.1",
    port: 8402,
    public_url: null,
    data_dir: "./data",
    database_url: null,
    database_schema: null,
    log_level: "info",
    admin_key: null,
    assets: [...defaultAssets],
    idempotency_retention_ms: limits.idempotency_retention_ms,
    trust_proxy: false,
    workers: true,
    secret_key: null,
    receipt_profile: "peac-0.9",
    receipt_key_rotation_ms: 30 * DAY_MS,
    // The safer of the two conventions: upstream PEAC's ≥ 30 days rather than the seed's 7.
    receipt_key_overlap_ms: 30 * DAY_MS,
    outbound_allow_hosts: [],
    outbound_allow_private: false,
    peac_txt: null,
    hub_fee_bps: 100,
    builtin_resale: false,
    dpop_require_nonce: false,
    pairing_token_secret: null,
    pairing_token_secret_previous: null,
    pairing_token_previous_until_ms: null,
    erc1056_rpc_url: null,
    erc1056_registry: null,
    erc1056_chain_id: null,
    execution_timeout_ms: limits.execution_timeout_ms,
    x402_pay_to: null,
    x402_network: "eip155:8453",
    x402_asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
    x402_eip712_name: "USD Coin",
    x402_eip712_version: "2",
    x402_ledger_asset: "USDC",
    x402_facilitator: "local",
    x402_rpc_url: null,
    x402_gas_key: null,
    evm_rpc_url: null,
    evm_confirmations: 1,
    evm_rpc_urls: {},
    evm_tokens: {},
    evm_escrow: {},
    idempotency_lock_ms: limits.idempotency_lock_ms,
    pipeline_lease_ms: pipelineLimits.lease_ms,
    webhook_retry_schedule_ms: webhookLimits.retry_schedule_ms,
    webhook_timeout_ms: webhookLimits.request_timeout_ms,
    market_review_start_after_ms: marketLimits.review_start_after_ms,
    market_auto_accept_after_ms: marketLimits.auto_accept_after_ms,
  };
  const merged: Config = {
    ...defaults,
    ...readFileConfig(env, cwd),
    ...fromEnv(env),
    ...stripUndefined(options.overrides ?? {}),
  };
  merged.data_dir = resolve(cwd, merged.data_dir);
  if (merged.peac_txt !== null) merged.peac_txt = resolve(cwd, merged.peac_txt);
  checkConfig(merged);
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Refuses contradictory settings always, and unsafe ones in production. */
export function checkConfig(c: Config): void {
  if (!["development", "test", "production"].includes(c.env)) {
    throw new ConfigError(`AGX_ENV must be development, test or production, got "${c.env}"`);
  }
  // A deadline is a promise to both parties: at least a minute, except in test mode, where
  // harnesses (the scale-out run) watch the scheduler fire within seconds.
  const deadlineFloorMs = c.env === "test" ? 1000 : 60_000;
  for (const [name, ms] of [
    ["AGX_MARKET_REVIEW_START_MS", c.market_review_start_after_ms],
    ["AGX_MARKET_AUTO_ACCEPT_MS", c.market_auto_accept_after_ms],
  ] as const) {
    if (ms < deadlineFloorMs) {
      throw new ConfigError(
        `${name} must be at least ${deadlineFloorMs} ms${c.env === "test" ? "" : " (1 min) outside AGX_ENV=test"}`,
      );
    }
  }
  // A lease shorter than a slow step's renewal gap hands live jobs to other runners for nothing
  // (their writes are guarded, so only work is lost); a second is for harnesses only.
  const leaseFloorMs = c.env === "test" ? 1000 : 10_000;
  if (c.pipeline_lease_ms < leaseFloorMs) {
    throw new ConfigError(
      `AGX_PIPELINE_LEASE_MS must be at least ${leaseFloorMs} ms${c.env === "test" ? "" : " (10 s) outside AGX_ENV=test"}`,
    );
  }
  if (c.database_url !== null && !/^postgres(ql)?:\/\//.test(c.database_url)) {
    throw new ConfigError("DATABASE_URL must be a postgres:// URL");
  }
  if (c.admin_key !== null && !/^sk_agx_[A-Za-z0-9_-]{32,128}$/.test(c.admin_key)) {
    throw new ConfigError(
      "AGX_ADMIN_KEY must look like sk_agx_ followed by 32+ url-safe characters",
    );
  }
  for (const a of c.assets) {
    if (
      !/^[A-Z0-9]{2,12}$/.test(a.code) ||
      !Number.isInteger(a.decimals) ||
      a.decimals < 0 ||
      a.decimals > limits.asset_decimals_max
    ) {
      throw new ConfigError(
        `asset ${JSON.stringify(a)} needs an upper-case code and 0–12 decimals`,
      );
    }
  }
  if (c.receipt_profile !== "peac-0.9" && c.receipt_profile !== "peac-wire-0.2") {
    throw new ConfigError("AGX_RECEIPT_PROFILE must be peac-0.9 or peac-wire-0.2");
  }
  if (c.secret_key !== null && c.secret_key.length < 32) {
    throw new ConfigError("AGX_SECRET_KEY must be at least 32 characters");
  }
  if (
    !Number.isInteger(c.hub_fee_bps) ||
    c.hub_fee_bps < 0 ||
    c.hub_fee_bps > limits.hub_fee_bps_max
  ) {
    throw new ConfigError(`AGX_HUB_FEE_BPS must be 0–${limits.hub_fee_bps_max}`);
  }
  for (const [name, secret] of [
    ["AGX_PAIRING_TOKEN_SECRET", c.pairing_token_secret],
    ["AGX_PAIRING_TOKEN_SECRET_PREVIOUS", c.pairing_token_secret_previous],
  ] as const) {
    if (secret !== null && secret.length < 32)
      throw new ConfigError(`${name} must be ≥ 32 characters`);
  }
  if ((c.pairing_token_secret_previous === null) !== (c.pairing_token_previous_until_ms === null)) {
    throw new ConfigError("set AGX_PAIRING_TOKEN_SECRET_PREVIOUS and …_PREVIOUS_UNTIL together");
  }
  const erc = [c.erc1056_rpc_url, c.erc1056_registry, c.erc1056_chain_id];
  if (erc.some((v) => v !== null) && erc.some((v) => v === null)) {
    throw new ConfigError("set AGX_ERC1056_RPC_URL, _REGISTRY and _CHAIN_ID together");
  }
  if (c.erc1056_registry !== null && !/^0x[0-9a-fA-F]{40}$/.test(c.erc1056_registry)) {
    throw new ConfigError("AGX_ERC1056_REGISTRY must be a 0x address");
  }
  const address = /^0x[0-9a-fA-F]{40}$/;
  if (c.x402_pay_to !== null && !address.test(c.x402_pay_to)) {
    throw new ConfigError("AGX_X402_PAY_TO must be a 0x-prefixed 20-byte address");
  }
  if (!address.test(c.x402_asset)) throw new ConfigError("AGX_X402_ASSET must be a token address");
  if (!/^eip155:[0-9]{1,12}$/.test(c.x402_network)) {
    throw new ConfigError("AGX_X402_NETWORK must be a CAIP-2 eip155:<chain id>");
  }
  if (c.x402_pay_to !== null && c.x402_facilitator === "local") {
    if (c.x402_rpc_url === null || c.x402_gas_key === null) {
      throw new ConfigError(
        "x402 with the local facilitator needs AGX_X402_RPC_URL and AGX_X402_GAS_KEY (or set AGX_X402_FACILITATOR to a facilitator URL)",
      );
    }
    if (!/^0x[0-9a-fA-F]{64}$/.test(c.x402_gas_key)) {
      throw new ConfigError("AGX_X402_GAS_KEY must be 0x and 64 hex digits");
    }
  } else if (c.x402_facilitator !== "local" && !/^https?:\/\//.test(c.x402_facilitator)) {
    throw new ConfigError("AGX_X402_FACILITATOR must be `local` or an http(s) URL");
  }
  for (const [chain, url] of Object.entries(c.evm_rpc_urls)) {
    if (!/^eip155:[0-9]{1,12}$/.test(chain) || !/^https?:\/\//.test(url)) {
      throw new ConfigError(`AGX_EVM_RPC_URLS: ${chain}=${url} is not <eip155:id>=<http(s) URL>`);
    }
  }
  for (const [key, token] of Object.entries(c.evm_tokens)) {
    if (!/^eip155:[0-9]{1,12}\/[A-Z0-9]{2,12}$/.test(key) || !address.test(token)) {
      throw new ConfigError(`AGX_EVM_TOKENS: ${key}=${token} is not <eip155:id>/<ASSET>=<0x…>`);
    }
  }
  checkEscrow(c);
  if (c.x402_pay_to !== null && !c.assets.some((a) => a.code === c.x402_ledger_asset)) {
    throw new ConfigError(`AGX_X402_LEDGER_ASSET ${c.x402_ledger_asset} is not a configured asset`);
  }
  if (c.public_url !== null) {
    let url: URL;
    try {
      url = new URL(c.public_url);
    } catch {
      throw new ConfigError(`AGX_PUBLIC_URL "${c.public_url}" is not a URL`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new ConfigError("AGX_PUBLIC_URL must be http(s)");
    }
  }
  if (c.env === "production") {
    if (c.public_url === null || !c.public_url.startsWith("https://")) {
      throw new ConfigError("production needs AGX_PUBLIC_URL with https://");
    }
    if (c.secret_key === null) {
      throw new ConfigError("production needs AGX_SECRET_KEY (encrypts receipt keys at rest)");
    }
    if (c.pairing_token_secret === null) {
      throw new ConfigError(
        "production needs AGX_PAIRING_TOKEN_SECRET (signs agent pairing tokens)",
      );
    }
    if (c.outbound_allow_private) {
      throw new ConfigError(
        "production refuses AGX_OUTBOUND_ALLOW_PRIVATE; allow-list hosts instead",
      );
    }
    if (c.log_level === "trace" || c.log_level === "debug") {
      throw new ConfigError("production refuses debug/trace logging (it may log request bodies)");
    }
  }
}

/** The SQLite file used when no DATABASE_URL is set. */
export function sqliteFileOf(c: Config): string {
  return join(c.data_dir, "agx.db");
}

/** `k=v,k=v` (commas or whitespace between pairs) as a record; a pair without `=` is an error. */
function pairsOf(name: string, text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? "").split(/[,\s]+/).filter((p) => p !== "")) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new ConfigError(`${name}: "${pair}" is not key=value`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** AGX_EVM_ESCROW: `{"eip155:8453": {"address": "0x…", "lock_event": "Locked(…)"}}`. */
function escrowOf(text: string): Record<string, EscrowContract> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError("AGX_EVM_ESCROW must be JSON: {<eip155:id>: {address, lock_event}}");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("AGX_EVM_ESCROW must be a JSON object keyed by chain");
  }
  const out: Record<string, EscrowContract> = {};
  for (const [chain, v] of Object.entries(parsed as Record<string, unknown>)) {
    const entry = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
    if (typeof entry.address !== "string") {
      throw new ConfigError(`AGX_EVM_ESCROW: ${chain} needs an address`);
    }
    const lock_event = typeof entry.lock_event === "string" ? entry.lock_event : DEFAULT_LOCK_EVENT;
    out[chain] = { address: entry.address, lock_event };
  }
  return out;
}

/**
 * Every escrow chain is EVM, has an RPC to verify on, a contract address and a lock event. An
 * arbitrated escrow (its lock event names `address payee`) is released and refunded by the hub's
 * own transactions, so it needs the arbiter's key: without one, every release and refund of its
 * orders would wait forever, so the hub refuses to start instead.
 */
function checkEscrow(c: Config): void {
  const rpc = c.evm_rpc_url ?? c.x402_rpc_url;
  for (const [chain, escrow] of Object.entries(c.evm_escrow)) {
    if (!/^eip155:[0-9]{1,12}$/.test(chain) || !/^0x[0-9a-fA-F]{40}$/.test(escrow.address)) {
      throw new ConfigError(`AGX_EVM_ESCROW: ${chain} is not <eip155:id> → {address: 0x…}`);
    }
    if (c.evm_rpc_urls[chain] === undefined && !(rpc !== null && chain === c.x402_network)) {
      throw new ConfigError(`AGX_EVM_ESCROW: ${chain} has no RPC (AGX_EVM_RPC_URLS)`);
    }
    const event = lockEventOf(escrow.lock_event);
    const arbitrated = event.inputs.some((i) => i.name === "payee" && i.type === "address");
    if (arbitrated && c.x402_gas_key === null) {
      throw new ConfigError(
        `AGX_EVM_ESCROW: ${chain}'s lock event names a payee (an arbitrated escrow the hub releases and refunds), which needs the arbiter's key AGX_X402_GAS_KEY`,
      );
    }
    if (arbitrated && !/^0x[0-9a-fA-F]{64}$/.test(c.x402_gas_key ?? "")) {
      throw new ConfigError("AGX_X402_GAS_KEY must be 0x and 64 hex digits");
    }
  }
}
