/**
 * IP address literals and the ranges an outbound request must not reach by default.
 * Pure functions: no DNS, no sockets, so every trick can be tested byte for byte.
 */

/** Where an address points. Only `public` is reachable without an explicit allowance. */
export type AddressRange =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "metadata"
  | "cgnat"
  | "unique_local"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "reserved";

/** A parsed IP literal: IPv4 as one 32-bit number, IPv6 as eight 16-bit groups. */
export type IpLiteral = { family: 4; value: number } | { family: 6; groups: readonly number[] };

/**
 * Parses an IPv4 literal the way the WHATWG URL parser does, so `2130706433`, `0x7f.1` and
 * `0177.0.0.1` are all 127.0.0.1 here too: a classifier that missed these forms would let a
 * hand-written host name slip past a check that the connecting code later reads differently.
 */
export function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length > 1 && parts.at(-1) === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIPv4Part(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  let value = last;
  numbers.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return value;
}

function parseIPv4Part(part: string): number | null {
  if (/^0[xX][0-9a-fA-F]*$/.test(part)) return part.length === 2 ? 0 : Number.parseInt(part, 16);
  if (/^0[0-7]+$/.test(part)) return Number.parseInt(part, 8);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return null;
}

/** Parses an IPv6 literal (brackets and a zone id allowed) into eight groups. */
export function parseIPv6(text: string): readonly number[] | null {
  let body = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  body = body.replace(/%.*$/, "");
  if (!/^[0-9a-fA-F:.]+$/.test(body) || body.split("::").length > 2) return null;
  const [head = "", tail] = body.split("::");
  const left = groupsOf(head, tail === undefined);
  const right = tail === undefined ? [] : groupsOf(tail, true);
  if (left === null || right === null) return null;
  const missing = 8 - left.length - right.length;
  if (tail === undefined) return missing === 0 ? left : null;
  if (missing < 1) return null;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}

/** The 16-bit groups of one side of `::`; only the final side may end in a dotted IPv4. */
function groupsOf(side: string, dottedTailAllowed: boolean): number[] | null {
  if (side === "") return [];
  const parts = side.split(":");
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (dottedTailAllowed && i === parts.length - 1 && part.includes(".")) {
      const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(part) ? parseIPv4(part) : null;
      if (v4 === null) return null;
      groups.push(Math.floor(v4 / 65_536), v4 % 65_536);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/** Parses an IPv4 or IPv6 literal; null for a host name. */
export function parseIpLiteral(text: string): IpLiteral | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const groups = text.includes(":") ? parseIPv6(text) : null;
  return groups === null ? null : { family: 6, groups };
}

/** Dotted text of a 32-bit IPv4 value. */
export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The range of an IP literal, or null when the text is a host name, not an address. */
export function classifyAddress(text: string): AddressRange | null {
  const ip = parseIpLiteral(text);
  if (ip === null) return null;
  return ip.family === 4 ? classifyIPv4(ip.value) : classifyIPv6(ip.groups);
}

const IPV4_RANGE_TABLE: readonly [string, number, AddressRange][] = [
  ["169.254.169.254", 32, "metadata"],
  ["255.255.255.255", 32, "broadcast"],
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "cgnat"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link_local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "documentation"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

const IPV4_RANGES = IPV4_RANGE_TABLE.map(([base, bits, range]) => ({
  start: parseIPv4(base) ?? 0,
  size: 2 ** (32 - bits),
  range,
}));

/** The range of a 32-bit IPv4 address; the first matching (most specific) entry wins. */
export function classifyIPv4(value: number): AddressRange {
  for (const { start, size, range } of IPV4_RANGES) {
    if (value >= start && value < start + size) return range;
  }
  return "public";
}

/** The range of an IPv6 address; IPv4 embedded by mapping, NAT64 or 6to4 is judged as IPv4. */
export function classifyIPv6(groups: readonly number[]): AddressRange {
  const g = (i: number) => groups[i] ?? 0;
  const embedded = (hi: number, lo: number) => classifyIPv4(g(hi) * 65_536 + g(lo));
  const zeroUpTo = (n: number) => groups.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return "unspecified";
  if (zeroUpTo(7) && g(7) === 1) return "loopback";
  // ::ffff:a.b.c.d (mapped) and the deprecated ::a.b.c.d (compatible) reach IPv4 hosts.
  if (zeroUpTo(5) && g(5) === 0xffff) return embedded(6, 7);
  if (zeroUpTo(6)) return embedded(6, 7);
  // 64:ff9b::/96 (NAT64) translates to the embedded IPv4 address.
  if (g(0) === 0x64 && g(1) === 0xff9b && groups.slice(2, 6).every((x) => x === 0)) {
    return embedded(6, 7);
  }
  if (g(0) === 0x2002) return embedded(1, 2);
  const middleZero = (from: number) => groups.slice(from, 7).every((x) => x === 0);
  // fd00:ec2::254 is the IPv6 twin of 169.254.169.254 on AWS.
  if (g(0) === 0xfd00 && g(1) === 0x0ec2 && middleZero(2) && g(7) === 0x254) return "metadata";
  if ((g(0) & 0xfe00) === 0xfc00) return "unique_local";
  if ((g(0) & 0xffc0) === 0xfe80) return "link_local";
  if ((g(0) & 0xffc0) === 0xfec0) return "private";
  if ((g(0) & 0xff00) === 0xff00) return "multicast";
  if (g(0) === 0x2001 && g(1) === 0x0db8) return "documentation";
  if (g(0) === 0x0100 && g(1) === 0 && g(2) === 0 && g(3) === 0) return "reserved";
  return "public";
}

/** Ranges that are never a meaningful unicast destination, whatever is allowed. */
const NEVER_REACHABLE: ReadonlySet<AddressRange> = new Set([
  "unspecified",
  "multicast",
  "broadcast",
]);

/** Ranges `allowPrivate` opens: the operator's own networks, not cloud metadata. */
const PRIVATE_RANGES: ReadonlySet<AddressRange> = new Set([
  "loopback",
  "private",
  "link_local",
  "cgnat",
  "unique_local",
  "documentation",
  "reserved",
]);

/** True when a request may go to an address in `range` under the given allowances. */
export function isRangeAllowed(
  range: AddressRange,
  allowance: { allowPrivate: boolean; hostAllowListed: boolean },
): boolean {
  if (range === "public") return true;
  if (NEVER_REACHABLE.has(range)) return false;
  if (allowance.hostAllowListed) return true;
  return allowance.allowPrivate && PRIVATE_RANGES.has(range);
}
