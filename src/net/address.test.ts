import { describe, expect, it } from "vitest";
import { classifyAddress, formatIPv4, isRangeAllowed, parseIPv4, parseIPv6 } from "./address.ts";

describe("IPv4 literals", () => {
  it("reads the decimal, octal and hex spellings the URL parser accepts as 127.0.0.1", () => {
    for (const text of ["127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "0x7f000001", "127.1"]) {
      expect(formatIPv4(parseIPv4(text) ?? -1), text).toBe("127.0.0.1");
    }
  });

  it("agrees with the WHATWG URL parser on every spelling it normalises", () => {
    for (const text of [
      "2130706433",
      "0x7f.1",
      "017700000001",
      "10.0.258",
      "0xA9.0xFE.0xA9.0xFE",
    ]) {
      const viaUrl = new URL(`http://${text}/`).hostname;
      expect(formatIPv4(parseIPv4(text) ?? -1), text).toBe(viaUrl);
    }
  });

  it("refuses parts out of range and text that is a host name", () => {
    for (const text of ["256.0.0.1", "1.2.3.4.5", "08.0.0.1", "example.com", "", "1.2.3.0x1g"]) {
      expect(parseIPv4(text), text).toBeNull();
    }
  });
});

describe("IPv6 literals", () => {
  it("expands compressed, bracketed, zoned and dotted-tail forms into eight groups", () => {
    expect(parseIPv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("[fe80::1%eth0]")).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("::ffff:127.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIPv6("2001:db8:0:0:0:0:2:1")).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 2, 1]);
  });

  it("refuses malformed text", () => {
    for (const text of ["1::2::3", ":1", "1:2:3:4:5:6:7", "12345::", "1.2.3.4::", "g::1"]) {
      expect(parseIPv6(text), text).toBeNull();
    }
  });
});

describe("the address classifier", () => {
  const cases: [string, string][] = [
    ["8.8.8.8", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["2130706433", "loopback"],
    ["0x7f.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["169.254.1.1", "link_local"],
    ["169.254.169.254", "metadata"],
    ["100.64.0.1", "cgnat"],
    ["100.128.0.1", "public"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.10", "documentation"],
    ["240.0.0.1", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["fc00::1", "unique_local"],
    ["fd12:3456::1", "unique_local"],
    ["fe80::1", "link_local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["64:ff9b::7f00:1", "loopback"],
    ["2002:c0a8:0101::1", "private"],
    ["fd00:ec2::254", "metadata"],
    ["2001:db8::1", "documentation"],
    ["2606:4700:4700::1111", "public"],
  ];

  it.each(cases)("classifies %s as %s", (text, range) => {
    expect(classifyAddress(text)).toBe(range);
  });

  it("returns null for a host name", () => {
    expect(classifyAddress("localhost")).toBeNull();
    expect(classifyAddress("example.com")).toBeNull();
  });
});

describe("range allowances", () => {
  const none = { allowPrivate: false, hostAllowListed: false };

  it("allows only public addresses by default", () => {
    expect(isRangeAllowed("public", none)).toBe(true);
    for (const range of ["loopback", "private", "link_local", "cgnat", "unique_local"] as const) {
      expect(isRangeAllowed(range, none), range).toBe(false);
    }
  });

  it("opens the operator's own networks with allowPrivate but never cloud metadata", () => {
    const allowPrivate = { allowPrivate: true, hostAllowListed: false };
    expect(isRangeAllowed("loopback", allowPrivate)).toBe(true);
    expect(isRangeAllowed("private", allowPrivate)).toBe(true);
    expect(isRangeAllowed("metadata", allowPrivate)).toBe(false);
  });

  it("lets an allow-listed host reach metadata but nobody reach unspecified or multicast", () => {
    const listed = { allowPrivate: false, hostAllowListed: true };
    expect(isRangeAllowed("metadata", listed)).toBe(true);
    expect(isRangeAllowed("unspecified", listed)).toBe(false);
    expect(isRangeAllowed("multicast", listed)).toBe(false);
  });
});
