import { afterEach, describe, expect, it } from "vitest";
import { isProblem, type Problem } from "../kernel/problem.ts";
import { type LoopbackServer, startLoopbackServer } from "../net/testing.ts";
import { fetchPeacTxt, peacTxtCandidates } from "./discover.ts";

const POLICY = 'version: "peac-policy/0.1"\nusage: open\n';

/** A site serving `routes` (path → status and body); every request's path is recorded. */
async function site(routes: Record<string, { status: number; body: string; type?: string }>) {
  const requested: string[] = [];
  const server = await startLoopbackServer((req, res) => {
    requested.push(req.url ?? "");
    const route = routes[req.url ?? ""] ?? { status: 404, body: "not here" };
    res.writeHead(route.status, { "content-type": route.type ?? "text/plain", etag: '"v1"' });
    res.end(route.body);
  });
  servers.push(server);
  return { server, requested };
}

let servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function problemOf(work: Promise<unknown>): Promise<Problem> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isProblem(error)) throw new Error(`expected a Problem, got ${String(error)}`);
  return error;
}

const local = { allowHosts: ["127.0.0.1"] };

describe("fetchPeacTxt", () => {
  it("tries the well-known path, then /peac.txt, for an origin only", () => {
    expect(peacTxtCandidates("https://example.com").map(String)).toEqual([
      "https://example.com/.well-known/peac.txt",
      "https://example.com/peac.txt",
    ]);
    expect(peacTxtCandidates("https://example.com/terms.txt").map(String)).toEqual([
      "https://example.com/terms.txt",
    ]);
  });

  it("reads /.well-known/peac.txt from an origin, with its ETag", async () => {
    const { server, requested } = await site({
      "/.well-known/peac.txt": { status: 200, body: POLICY },
    });
    const fetched = await fetchPeacTxt(server.origin, local);
    expect(fetched.result.ok).toBe(true);
    expect(fetched.url).toBe(`${server.origin}/.well-known/peac.txt`);
    expect(fetched.etag).toBe('"v1"');
    expect(requested).toEqual(["/.well-known/peac.txt"]);
  });

  it("falls back to /peac.txt after a 404", async () => {
    const { server, requested } = await site({ "/peac.txt": { status: 200, body: POLICY } });
    const fetched = await fetchPeacTxt(`${server.origin}/`, local);
    expect(fetched.url).toBe(`${server.origin}/peac.txt`);
    expect(requested).toEqual(["/.well-known/peac.txt", "/peac.txt"]);
  });

  it("does not fall back after an error other than 404", async () => {
    const { server, requested } = await site({
      "/.well-known/peac.txt": { status: 500, body: "oops" },
      "/peac.txt": { status: 200, body: POLICY },
    });
    const problem = await problemOf(fetchPeacTxt(server.origin, local));
    expect(problem.code).toBe("POLICY_FETCH_FAILED");
    expect(requested).toEqual(["/.well-known/peac.txt"]);
  });

  it("reports POLICY_NOT_FOUND when neither location exists", async () => {
    const { server } = await site({});
    const problem = await problemOf(fetchPeacTxt(server.origin, local));
    expect(problem.code).toBe("POLICY_NOT_FOUND");
    expect(problem.extensions.upstream_code).toBe("E_POLICY_NOT_FOUND");
  });

  it("refuses plain http to loopback by default, and loopback itself even over http", async () => {
    const { server, requested } = await site({ "/peac.txt": { status: 200, body: POLICY } });
    const insecure = await problemOf(fetchPeacTxt(`${server.origin}/peac.txt`));
    expect(insecure.extensions.upstream_code).toBe("E_POLICY_INSECURE_SCHEME");
    const blocked = await problemOf(fetchPeacTxt(`${server.origin}/peac.txt`, { allowHttp: true }));
    expect(blocked.code).toBe("POLICY_URL_BLOCKED");
    expect(blocked.extensions.upstream_code).toBe("E_POLICY_SSRF_BLOCKED");
    expect(requested).toEqual([]);
  });

  it("returns an oversized document as a POLICY_TOO_LARGE result", async () => {
    const body = `${POLICY}# ${"x".repeat(300_000)}\n`;
    const { server } = await site({ "/peac.txt": { status: 200, body } });
    const fetched = await fetchPeacTxt(`${server.origin}/peac.txt`, local);
    expect(fetched.result).toMatchObject({ ok: false, code: "POLICY_TOO_LARGE" });
  });

  it("reads JSON by its content type and reports an invalid document as a result", async () => {
    const { server } = await site({
      "/a.json": {
        status: 200,
        body: ' {"version":"peac-policy/0.1","usage":"open"}',
        type: "application/json",
      },
      "/bad.txt": { status: 200, body: 'version: "peac-policy/0.1"\nusage: maybe' },
    });
    const good = await fetchPeacTxt(`${server.origin}/a.json`, local);
    expect(good.result.ok).toBe(true);
    const bad = await fetchPeacTxt(`${server.origin}/bad.txt`, local);
    expect(bad.result).toMatchObject({ ok: false, upstream_code: "E_POLICY_INVALID" });
  });
});
