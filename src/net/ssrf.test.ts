import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProblem, type Problem } from "../kernel/problem.ts";
import { checkOutboundUrl, guardedFetch } from "./ssrf.ts";
import { type LoopbackServer, startLoopbackServer } from "./testing.ts";

async function problemOf(work: Promise<unknown>): Promise<Problem> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isProblem(error)) throw new Error(`expected a Problem, got ${String(error)}`);
  return error;
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(302, { location });
  res.end();
}

let server: LoopbackServer;
let hangingResponses: ServerResponse[] = [];

beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const hops = Number(url.searchParams.get("hops") ?? 0);
    if (url.pathname === "/hello") return void res.end("hello");
    if (url.pathname === "/whoami") return void res.end(req.headers.authorization ?? "anonymous");
    if (url.pathname === "/to-whoami-elsewhere") {
      return redirect(res, `http://localhost:${server.port}/whoami`);
    }
    if (url.pathname === "/big") return void res.end("x".repeat(4096));
    if (url.pathname === "/chunked") {
      res.write("x".repeat(800));
      return void res.end("x".repeat(800));
    }
    if (url.pathname === "/hang") return void hangingResponses.push(res);
    if (url.pathname === "/chain") {
      return hops > 0 ? redirect(res, `/chain?hops=${hops - 1}`) : void res.end("arrived");
    }
    if (url.pathname === "/to-localhost") {
      return redirect(res, `http://localhost:${server.port}/hello`);
    }
    if (url.pathname === "/to-file") return redirect(res, "file:///etc/passwd");
    if (url.pathname === "/to-metadata") return redirect(res, "http://169.254.169.254/latest");
    res.statusCode = 404;
    res.end("no");
  });
});

afterAll(async () => {
  for (const res of hangingResponses) res.destroy();
  hangingResponses = [];
  await server.close();
});

const fetchOptions = { timeout_ms: 5_000, max_bytes: 1024 };

describe("checkOutboundUrl", () => {
  it("refuses schemes other than http and https", async () => {
    for (const url of ["file:///etc/passwd", "ftp://example.com/", "gopher://x/", "data:,hi"]) {
      const problem = await problemOf(checkOutboundUrl(url));
      expect(problem.code, url).toBe("NET_URL_BLOCKED");
      expect(problem.extensions.reason, url).toBe("scheme");
    }
  });

  it("requires https for hosts that are not an allowed localhost", async () => {
    const problem = await problemOf(checkOutboundUrl("http://example.com/peac.txt"));
    expect(problem.extensions.reason).toBe("https_required");
  });

  it("refuses URLs carrying credentials", async () => {
    const problem = await problemOf(checkOutboundUrl("https://user:pw@example.com/"));
    expect(problem.extensions.reason).toBe("credentials");
  });

  it("blocks loopback, private, link-local and metadata literals however spelled", async () => {
    const urls: [string, string][] = [
      ["https://127.0.0.1/", "loopback"],
      ["https://2130706433/", "loopback"],
      ["https://0x7f.1/", "loopback"],
      ["https://[::1]/", "loopback"],
      ["https://[::ffff:127.0.0.1]/", "loopback"],
      ["https://10.0.0.1/", "private"],
      ["https://192.168.0.10/", "private"],
      ["https://169.254.169.254/latest/meta-data/", "metadata"],
      ["https://100.64.1.1/", "cgnat"],
      ["https://[fd00::1]/", "unique_local"],
      ["https://0.0.0.0/", "unspecified"],
      ["https://0/", "unspecified"],
    ];
    for (const [url, range] of urls) {
      const problem = await problemOf(checkOutboundUrl(url, { allowHttp: true }));
      expect(problem.code, url).toBe("NET_URL_BLOCKED");
      expect(problem.extensions.range, url).toBe(range);
    }
  });

  it("resolves a host name first and blocks it when it points at loopback", async () => {
    const problem = await problemOf(checkOutboundUrl("https://localhost/"));
    expect(problem.extensions).toMatchObject({ reason: "address", range: "loopback" });
  });

  it("reports a name that does not resolve as a failed fetch, not as blocked", async () => {
    const problem = await problemOf(checkOutboundUrl("https://no-such-host.invalid/"));
    expect(problem.code).toBe("NET_FETCH_FAILED");
  });

  it("returns the checked addresses of an allowed target", async () => {
    const target = await checkOutboundUrl("http://localhost:8080/x", { allowHosts: ["LOCALHOST"] });
    expect(target.hostname).toBe("localhost");
    expect(target.addresses.map((a) => a.range)).toEqual(["loopback"]);
  });

  it("keeps metadata closed under allowPrivate", async () => {
    const problem = await problemOf(
      checkOutboundUrl("http://169.254.169.254/", { allowPrivate: true, allowHttp: true }),
    );
    expect(problem.extensions.range).toBe("metadata");
  });
});

describe("guardedFetch against a real loopback server", () => {
  it("blocks the loopback server by default", async () => {
    const problem = await problemOf(guardedFetch(`${server.origin}/hello`, fetchOptions));
    expect(problem.code).toBe("NET_URL_BLOCKED");
  });

  it("fetches it over http when private addresses are allowed", async () => {
    const res = await guardedFetch(`${server.origin}/hello`, {
      ...fetchOptions,
      allowPrivate: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("hello");
  });

  it("fetches it when the host is allow-listed", async () => {
    const res = await guardedFetch(`${server.origin}/hello`, {
      ...fetchOptions,
      allowHosts: ["127.0.0.1"],
    });
    expect(res.body.toString()).toBe("hello");
  });

  it("connects to the address it checked when it resolves a host name", async () => {
    const res = await guardedFetch(`http://localhost:${server.port}/hello`, {
      ...fetchOptions,
      allowHosts: ["localhost"],
    });
    expect(res.body.toString()).toBe("hello");
  });

  it("sends the caller's headers to the first origin only", async () => {
    const options = {
      ...fetchOptions,
      allowPrivate: true,
      headers: { authorization: "Bearer secret" },
    };
    const direct = await guardedFetch(`${server.origin}/whoami`, options);
    expect(direct.body.toString()).toBe("Bearer secret");
    const moved = await guardedFetch(`${server.origin}/to-whoami-elsewhere`, options);
    expect(moved.url).toBe(`http://localhost:${server.port}/whoami`);
    expect(moved.body.toString()).toBe("anonymous");
  });

  it("returns non-2xx answers instead of throwing", async () => {
    const res = await guardedFetch(`${server.origin}/missing`, {
      ...fetchOptions,
      allowPrivate: true,
    });
    expect(res.status).toBe(404);
  });

  it("follows up to three redirects and reports the final URL", async () => {
    const res = await guardedFetch(`${server.origin}/chain?hops=3`, {
      ...fetchOptions,
      allowPrivate: true,
    });
    expect(res.body.toString()).toBe("arrived");
    expect(res.redirects).toBe(3);
    expect(res.url).toBe(`${server.origin}/chain?hops=0`);
  });

  it("gives up after a fourth redirect", async () => {
    const problem = await problemOf(
      guardedFetch(`${server.origin}/chain?hops=4`, { ...fetchOptions, allowPrivate: true }),
    );
    expect(problem.code).toBe("NET_FETCH_FAILED");
    expect(problem.detail).toMatch(/redirects/);
  });

  it("re-checks every redirect target against the allow-list", async () => {
    const problem = await problemOf(
      guardedFetch(`${server.origin}/to-localhost`, {
        ...fetchOptions,
        allowHosts: ["127.0.0.1"],
        allowHttp: true,
      }),
    );
    expect(problem.code).toBe("NET_URL_BLOCKED");
    expect(problem.extensions.range).toBe("loopback");
  });

  it("refuses redirects to other schemes and to cloud metadata", async () => {
    const options = { ...fetchOptions, allowPrivate: true };
    const toFile = await problemOf(guardedFetch(`${server.origin}/to-file`, options));
    expect(toFile.extensions.reason).toBe("scheme");
    const toMetadata = await problemOf(guardedFetch(`${server.origin}/to-metadata`, options));
    expect(toMetadata.extensions.reason).toBe("https_required");
    const withHttp = await problemOf(
      guardedFetch(`${server.origin}/to-metadata`, { ...options, allowHttp: true }),
    );
    expect(withHttp.extensions.range).toBe("metadata");
  });

  it("refuses a body larger than max_bytes, declared or streamed", async () => {
    const options = { ...fetchOptions, allowPrivate: true };
    const declared = await problemOf(guardedFetch(`${server.origin}/big`, options));
    expect(declared.code).toBe("NET_RESPONSE_TOO_LARGE");
    const streamed = await problemOf(guardedFetch(`${server.origin}/chunked`, options));
    expect(streamed.code).toBe("NET_RESPONSE_TOO_LARGE");
  });

  it("ends with NET_FETCH_TIMEOUT when the server never answers", async () => {
    const problem = await problemOf(
      guardedFetch(`${server.origin}/hang`, {
        ...fetchOptions,
        timeout_ms: 200,
        allowPrivate: true,
      }),
    );
    expect(problem.code).toBe("NET_FETCH_TIMEOUT");
  });

  it("reports a refused connection as NET_FETCH_FAILED", async () => {
    const closed = await startLoopbackServer((_req, res) => res.end());
    await closed.close();
    const problem = await problemOf(
      guardedFetch(`${closed.origin}/`, { ...fetchOptions, allowPrivate: true }),
    );
    expect(problem.code).toBe("NET_FETCH_FAILED");
  });
});
