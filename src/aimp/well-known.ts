/**
 * A typed, validating reader for `/.well-known/ai-market.json`, the unsigned discovery
 * document every crawl starts from (spec §2.1, upstream `schemas/well-known.json`). Every
 * value in it is a stranger's claim about where to send requests next, so URLs must be
 * http(s) without control characters, and every string and list is bounded. Unknown members
 * are dropped, not refused: the schema allows extensions and newer hubs add fields.
 */
import type { FieldError } from "../kernel/problem.ts";
import { AimpKeyError, publicKeyFromBase64 } from "./keys.ts";
import type {
  AimpFederationSettings,
  AimpObservedHub,
  AimpPeer,
  AimpProtocolVersion,
  AimpWellKnown,
} from "./model.ts";
import { PyFloat } from "./pyjson.ts";

/** The discovery document, or every problem found in it (JSON pointers into the input). */
export type WellKnownParse =
  | { ok: true; well_known: AimpWellKnown }
  | { ok: false; errors: FieldError[] };

const TEXT_CHARS_MAX = 256;
const URL_CHARS_MAX = 2048;
const LIST_ITEMS_MAX = 1000;
const PROTOCOL_VERSIONS: readonly string[] = ["v1", "v2", "mcp"] satisfies AimpProtocolVersion[];
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const RELEASE_VERSION = /^0\.[0-9]+\.[0-9]+$/;
// C0, DEL and C1 controls, and whitespace: never part of a URL we will fetch (spec §7.4).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching controls is the point
const URL_FORBIDDEN = /[\u0000-\u0020\u007f-\u009f]/;

/** Reads a discovery document from JSON text or an already parsed value. */
export function parseWellKnown(input: unknown): WellKnownParse {
  let doc = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch {
      return { ok: false, errors: [{ pointer: "", detail: "is not JSON" }] };
    }
  }
  const errors: FieldError[] = [];
  const root = Members.of(doc, "", errors);
  if (root === undefined) return { ok: false, errors };
  const well_known = readWellKnown(root);
  return errors.length === 0 ? { ok: true, well_known } : { ok: false, errors };
}

function readWellKnown(m: Members): AimpWellKnown {
  const versions = m.list("protocol_versions", (v, at) => m.oneOf(v, at, PROTOCOL_VERSIONS), {
    required: true,
    items_min: 1,
  });
  const out: AimpWellKnown = {
    name: m.text("name", true) ?? "",
    protocol_versions: (versions ?? []) as AimpProtocolVersion[],
    manifest_url: m.url("manifest_url", true) ?? "",
    signer_public_key: m.publicKey("signer_public_key") ?? "",
  };
  put(out, "hub_version", m.text("hub_version"));
  const release = m.text("protocol_release_version");
  if (release !== undefined && !RELEASE_VERSION.test(release)) {
    m.problem("/protocol_release_version", "must look like 0.minor.patch");
  }
  put(out, "protocol_release_version", release);
  put(out, "mcp_endpoint", m.url("mcp_endpoint"));
  put(out, "products_count", m.integer("products_count", 0));
  put(out, "capabilities_count", m.integer("capabilities_count", 0));
  put(out, "federated_capabilities_count", m.integer("federated_capabilities_count", 0));
  put(
    out,
    "supported_chains",
    m.list("supported_chains", (v, at) => m.textAt(v, at)),
  );
  put(
    out,
    "supported_tokens",
    m.list("supported_tokens", (v, at) => m.textAt(v, at)),
  );
  put(out, "federation", m.child("federation", readFederation));
  put(
    out,
    "peers",
    m.list("peers", (v, at) => Members.of(v, at, m.errors)?.map(readPeer)),
  );
  put(
    out,
    "observed_hubs",
    m.list("observed_hubs", (v, at) => Members.of(v, at, m.errors)?.map(readObservedHub)),
  );
  return out;
}

function readFederation(m: Members): AimpFederationSettings {
  const out: AimpFederationSettings = {};
  put(out, "crawl_interval_s", m.integer("crawl_interval_s", 60));
  put(out, "routing_fee_bps", m.integer("routing_fee_bps", 0, 10_000));
  put(out, "min_trust_score", m.fraction("min_trust_score"));
  put(
    out,
    "seed_list",
    m.list("seed_list", (v, at) => m.urlAt(v, at)),
  );
  return out;
}

function readPeer(m: Members): AimpPeer {
  const out: AimpPeer = { url: m.url("url", true) ?? "", name: m.text("name", true) ?? "" };
  put(out, "capabilities_count", m.integer("capabilities_count", 0));
  put(out, "last_crawl", m.dateTime("last_crawl"));
  put(out, "trust_score", m.fraction("trust_score"));
  return out;
}

function readObservedHub(m: Members): AimpObservedHub {
  const status = m.text("status", true);
  if (status !== undefined && status !== "observed") m.problem("/status", 'must be "observed"');
  const out: AimpObservedHub = { url: m.url("url", true) ?? "", status: "observed" };
  put(out, "name", m.text("name"));
  put(out, "first_seen", m.text("first_seen"));
  put(out, "observed_by", m.url("observed_by"));
  put(out, "depth", m.integer("depth", 1));
  return out;
}

function put<T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K] | undefined,
): void {
  if (value !== undefined) target[key] = value;
}

/** One JSON object being read: typed getters that record a FieldError instead of throwing. */
class Members {
  private constructor(
    private readonly doc: Record<string, unknown>,
    private readonly at: string,
    readonly errors: FieldError[],
  ) {}

  /** The object at a pointer, or undefined (with an error) when it is not one. */
  static of(value: unknown, at: string, errors: FieldError[]): Members | undefined {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return new Members(value as Record<string, unknown>, at, errors);
    }
    errors.push({ pointer: at, detail: "must be an object" });
    return undefined;
  }

  map<T>(read: (m: Members) => T): T {
    return read(this);
  }

  problem(pointer: string, detail: string): void {
    this.errors.push({ pointer: `${this.at}${pointer}`, detail });
  }

  private get(key: string, required: boolean): unknown {
    const value = Object.hasOwn(this.doc, key) ? this.doc[key] : undefined;
    if (value === undefined && required) this.problem(`/${key}`, "is required");
    return value;
  }

  text(key: string, required = false): string | undefined {
    const value = this.get(key, required);
    return value === undefined ? undefined : this.textAt(value, `${this.at}/${key}`);
  }

  textAt(value: unknown, at: string): string | undefined {
    if (typeof value !== "string" || value.length === 0 || value.length > TEXT_CHARS_MAX) {
      this.errors.push({ pointer: at, detail: `must be a string of 1 to ${TEXT_CHARS_MAX} chars` });
      return undefined;
    }
    return value;
  }

  oneOf(value: unknown, at: string, allowed: readonly string[]): string | undefined {
    if (typeof value === "string" && allowed.includes(value)) return value;
    this.errors.push({ pointer: at, detail: `must be one of ${allowed.join(", ")}` });
    return undefined;
  }

  url(key: string, required = false): string | undefined {
    const value = this.get(key, required);
    return value === undefined ? undefined : this.urlAt(value, `${this.at}/${key}`);
  }

  urlAt(value: unknown, at: string): string | undefined {
    if (typeof value === "string" && value.length <= URL_CHARS_MAX && isHttpUrl(value)) {
      return value;
    }
    this.errors.push({ pointer: at, detail: "must be an http(s) URL without controls" });
    return undefined;
  }

  dateTime(key: string): string | undefined {
    const value = this.get(key, false);
    if (value === undefined) return undefined;
    if (typeof value === "string" && DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) {
      return value;
    }
    this.problem(`/${key}`, "must be an RFC 3339 date-time");
    return undefined;
  }

  publicKey(key: string): string | undefined {
    const value = this.get(key, true);
    if (value === undefined) return undefined;
    try {
      if (typeof value === "string") {
        publicKeyFromBase64(value);
        return value;
      }
    } catch (error) {
      if (!(error instanceof AimpKeyError)) throw error;
    }
    this.problem(`/${key}`, "must be a strong Ed25519 public key, 32 bytes of padded base64");
    return undefined;
  }

  integer(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.get(key, false);
    if (value === undefined) return undefined;
    if (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max) {
      return value as number;
    }
    this.problem(`/${key}`, `must be an integer from ${min} to ${max}`);
    return undefined;
  }

  /** A number in [0, 1]; a PyFloat from parsePyJson reads as its value. */
  fraction(key: string): number | undefined {
    const raw = this.get(key, false);
    const value = raw instanceof PyFloat ? raw.value : raw;
    if (value === undefined) return undefined;
    if (typeof value === "number" && value >= 0 && value <= 1) return value;
    this.problem(`/${key}`, "must be a number from 0 to 1");
    return undefined;
  }

  list<T>(
    key: string,
    item: (value: unknown, at: string) => T | undefined,
    bounds: { required?: boolean; items_min?: number } = {},
  ): T[] | undefined {
    const value = this.get(key, bounds.required ?? false);
    if (value === undefined) return undefined;
    const min = bounds.items_min ?? 0;
    if (!Array.isArray(value) || value.length < min || value.length > LIST_ITEMS_MAX) {
      this.problem(`/${key}`, `must be an array of ${min} to ${LIST_ITEMS_MAX} items`);
      return undefined;
    }
    const out: T[] = [];
    value.forEach((v, i) => {
      const read = item(v, `${this.at}/${key}/${i}`);
      if (read !== undefined) out.push(read);
    });
    return out;
  }

  child<T>(key: string, read: (m: Members) => T): T | undefined {
    const value = this.get(key, false);
    if (value === undefined) return undefined;
    return Members.of(value, `${this.at}/${key}`, this.errors)?.map(read);
  }
}

function isHttpUrl(value: string): boolean {
  if (URL_FORBIDDEN.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}
