import { describe, expect, it } from "vitest";
import { normaliseHtu } from "./index.ts";

describe("htu normalisation", () => {
  it.each([
    ["HTTPS://Hub.EXAMPLE/a/b", "https://hub.example/a/b"],
    ["https://hub.example:443/a", "https://hub.example/a"],
    ["http://hub.example:80/a", "http://hub.example/a"],
    ["https://hub.example:8443/a", "https://hub.example:8443/a"],
    ["https://hub.example/a?x=1#frag", "https://hub.example/a"],
    ["https://hub.example", "https://hub.example/"],
    ["https://hub.example/a/./b/../c", "https://hub.example/a/c"],
    ["https://hub.example/%7euser/%2f", "https://hub.example/~user/%2F"],
  ])("reads %s as %s", (text, normalised) => {
    expect(normaliseHtu(text)).toBe(normalised);
  });

  it("keeps paths that differ apart", () => {
    expect(normaliseHtu("https://hub.example/a")).not.toBe(normaliseHtu("https://hub.example/a/"));
    expect(normaliseHtu("https://hub.example/A")).not.toBe(normaliseHtu("https://hub.example/a"));
  });

  it("has no form for relative, non-http or unparsable URLs", () => {
    for (const text of ["/api/v1/orders", "ftp://hub.example/a", "urn:x:y", "https://"]) {
      expect(normaliseHtu(text), text).toBeNull();
    }
  });
});
