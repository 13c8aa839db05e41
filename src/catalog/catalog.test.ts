import { createPublicKey } from "node:crypto";
import { compactVerify, decodeProtectedHeader } from "jose";
import { beforeAll, expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { isProblem, Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { createKeySet } from "../receipts/index.ts";
import {
  type Catalog,
  createCatalog,
  type Service,
  type ServiceInput,
  type SkillInput,
} from "./index.ts";
import { searchHits } from "./search-store.ts";

const textSchema = {
  type: "object",
  properties: { text: { type: "string", maxLength: 10000 } },
  required: ["text"],
  additionalProperties: false,
};

const skill = (key: string, extra: Partial<SkillInput> = {}): SkillInput => ({
  key,
  version: "1.0.0",
  label: key,
  description: `the ${key} capability`,
  tags: [],
  operations: [
    {
      name: "run",
      description: "does it",
      input_schema: textSchema,
      output_schema: { type: "object" },
      examples: [],
    },
  ],
  ...extra,
});

const service = (
  name: string,
  skill_key: string,
  extra: Partial<ServiceInput> = {},
): ServiceInput => ({
  name,
  version: "1.0.0",
  skill_key,
  description: `${name} does ${skill_key}`,
  company_name: "Acme",
  execution_mode: "native",
  endpoints: [
    { url: "https://provider.example/run", method: "POST", protocols: ["agx"], networks: [] },
  ],
  handoff: null,
  region: "eu-west",
  tags: ["demo"],
  pricing: {
    model: "fixed",
    asset: "USDC",
    amount_minor: 10_000n,
    unit: "request",
    amount_minor_per_unit: null,
    minimum_minor: null,
    notes: [],
  },
  rails: ["agx-ledger"],
  integration_status: "live",
  maturity: "beta",
  ...extra,
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "none";
  } catch (e) {
    if (isProblem(e)) return e.code;
    throw e;
  }
}

describeStores("catalogue", (store) => {
  const clock = manualClock(Date.UTC(2026, 10, 1));
  const keys = createKeySet({ clock, overlap_ms: 1e9, cache_ms: 0 });
  let catalog: Catalog;
  const run = <T>(work: (tx: Parameters<Catalog["publishSkill"]>[0]) => Promise<T>) =>
    store.db.transaction(work);
  const uniq = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    await keys.ensure(store.db.kysely);
    catalog = createCatalog({
      clock,
      dialect: store.db.dialect,
      signQuote: (ex, payload) => keys.signCompact(ex, "agx-quote+jwt", payload),
      checkUrl: async (url, pointer) => {
        if (new URL(url).hostname === "10.0.0.1")
          throw new Problem(kernelProblems.FORBIDDEN, `${pointer} is private`);
      },
    });
    await run(async (tx) => {
      await catalog.publishSkill(
        tx,
        "prn_a",
        skill(`translate${uniq}.text`, { description: "translate text between languages" }),
      );
      await catalog.publishSkill(
        tx,
        "prn_a",
        skill(`storage${uniq}.object`, { description: "store objects durably" }),
      );
      await catalog.publishService(
        tx,
        "prn_a",
        service(`lingo-${uniq}`, `translate${uniq}.text`, { tags: ["nlp", "fast"] }),
      );
      await catalog.publishService(
        tx,
        "prn_b",
        service(`babel-${uniq}`, `translate${uniq}.text`, {
          region: "us-east",
          rails: ["x402"],
          execution_mode: "external-handoff",
          handoff: {
            label: "Sign up",
            url: "https://babel.example/signup",
            contact: null,
            steps: ["create account"],
          },
          pricing: {
            model: "per_unit",
            asset: "USDC",
            amount_minor: null,
            unit: "character",
            amount_minor_per_unit: 100n,
            minimum_minor: 5_000n,
            notes: [],
          },
        }),
      );
      await catalog.publishService(
        tx,
        "prn_b",
        service(`vault-${uniq}`, `storage${uniq}.object`, {
          pricing: {
            model: "fixed",
            asset: "USDC",
            amount_minor: 900_000n,
            unit: "request",
            amount_minor_per_unit: null,
            minimum_minor: null,
            notes: [],
          },
        }),
      );
    });
  });

  it("refuses a skill whose input schema does not compile, naming where", async () => {
    const bad = skill(`bad${uniq}.x`);
    bad.operations = [
      {
        name: "run",
        description: "",
        input_schema: { type: "nonsense" },
        output_schema: {},
        examples: [],
      },
    ];
    try {
      await run((tx) => catalog.publishSkill(tx, "prn_a", bad));
      expect.unreachable();
    } catch (e) {
      expect(isProblem(e) && e.code).toBe("CATALOG_SCHEMA_INVALID");
      expect(isProblem(e) && e.errors?.[0]?.pointer).toBe("/operations/0/input_schema");
    }
  });

  it("refuses a duplicate version, a service of an unknown skill and an unsafe endpoint", async () => {
    expect(
      await code(run((tx) => catalog.publishSkill(tx, "prn_a", skill(`translate${uniq}.text`)))),
    ).toBe("CATALOG_SKILL_EXISTS");
    expect(
      await code(run((tx) => catalog.publishService(tx, "prn_a", service(`x-${uniq}`, "no.such")))),
    ).toBe("CATALOG_SKILL_NOT_FOUND");
    const unsafe = service(`y-${uniq}`, `translate${uniq}.text`, {
      endpoints: [{ url: "http://10.0.0.1/admin", method: "POST", protocols: [], networks: [] }],
    });
    expect(await code(run((tx) => catalog.publishService(tx, "prn_a", unsafe)))).toBe("FORBIDDEN");
    expect(
      await code(
        run((tx) =>
          catalog.publishService(
            tx,
            "prn_b",
            service(`lingo-${uniq}`, `translate${uniq}.text`, { version: "2.0.0" }),
          ),
        ),
      ),
    ).toBe("CATALOG_NOT_OWNER");
  });

  it("publishes a new version as latest while the old version stays readable by id", async () => {
    const [v1] = await catalog.listServices(
      store.db.kysely,
      { provider_id: "prn_a", skill_key: `translate${uniq}.text` },
      null,
      10,
    );
    const v2 = await run((tx) =>
      catalog.publishService(
        tx,
        "prn_a",
        service(`lingo-${uniq}`, `translate${uniq}.text`, {
          version: "1.1.0",
          description: "lingo now with glossaries",
          tags: ["nlp", "fast"],
        }),
      ),
    );
    const listed = await catalog.listServices(store.db.kysely, { provider_id: "prn_a" }, null, 10);
    expect(listed.map((s) => s.id)).toEqual([v2.id]);
    const old = await catalog.getService(store.db.kysely, v1?.id ?? "");
    expect(old).toMatchObject({ version: "1.0.0", latest: false });
    const found = await catalog.search(store.db.kysely, "glossaries", {}, {});
    expect(found.map((r) => r.service.id)).toEqual([v2.id]);
  });

  it("filters by skill, category, tag, provider, rail, execution mode and price range", async () => {
    const names = async (filter: Parameters<Catalog["listServices"]>[1]) =>
      (await catalog.listServices(store.db.kysely, filter, null, 50))
        .map((s) => s.name.split("-")[0])
        .sort();
    expect(await names({ skill_key: `translate${uniq}.text` })).toEqual(["babel", "lingo"]);
    expect(await names({ category: `storage${uniq}` })).toEqual(["vault"]);
    expect(await names({ tag: "nlp" })).toEqual(["lingo"]);
    expect(await names({ provider_id: "prn_b" })).toEqual(["babel", "vault"]);
    expect(await names({ rail: "x402" })).toEqual(["babel"]);
    expect(await names({ execution_mode: "external-handoff" })).toEqual(["babel"]);
    expect(
      await names({ provider_id: "prn_b", price_min_minor: 6_000n, price_max_minor: 1_000_000n }),
    ).toEqual(["vault"]);
  });

  it("finds services by full text and ranks them with the searcher's context", async () => {
    const eu = await catalog.search(
      store.db.kysely,
      "translate languages",
      {},
      { region: "eu-west" },
    );
    expect(eu.map((r) => r.service.name.split("-")[0])).toEqual(["lingo", "babel"]);
    expect(eu[0]?.reasons).toContain("in region eu-west");
    const us = await catalog.search(
      store.db.kysely,
      "translate languages",
      {},
      { region: "us-east" },
    );
    expect(us[0]?.service.name.startsWith("babel")).toBe(true);
    const cheap = await catalog.search(
      store.db.kysely,
      "store objects",
      {},
      { budget_minor: 100_000n },
    );
    expect(cheap).toEqual([]);
    expect(await code(catalog.search(store.db.kysely, "  ", {}, {}))).toBe("CATALOG_SEARCH_EMPTY");
  });

  it("quotes a size-priced call from the input, signed by the hub, and expires it", async () => {
    const [babel] = await catalog.listServices(
      store.db.kysely,
      { rail: "x402", skill_key: `translate${uniq}.text` },
      null,
      1,
    );
    if (!babel) throw new Error("babel missing");
    const small = await run((tx) => catalog.quote(tx, { service: babel, input: { text: "hi" } }));
    expect(small.amount_minor).toBe(5_000n); // the minimum
    const big = await run((tx) =>
      catalog.quote(tx, { service: babel, input: { text: "é".repeat(120) } }),
    );
    expect(big.amount_minor).toBe(12_000n);
    expect(big.units).toBe(120n);
    const { kid } = decodeProtectedHeader(big.jws);
    const jwk = (await keys.published(store.db.kysely)).find((k) => k.kid === kid)?.public_jwk;
    const pub = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: jwk?.x ?? "" },
      format: "jwk",
    });
    const verified = await compactVerify(big.jws, pub, { algorithms: ["EdDSA"] });
    const payload = JSON.parse(new TextDecoder().decode(verified.payload));
    expect(payload).toMatchObject({
      jti: big.id,
      amount_minor: "12000",
      asset: "USDC",
      service_id: babel.id,
    });
    expect(await code(run((tx) => catalog.quote(tx, { service: babel, input: { text: 5 } })))).toBe(
      "QUOTE_INPUT_INVALID",
    );
    expect((await catalog.liveQuote(store.db.kysely, big.id)).amount_minor).toBe(12_000n);
    clock.advance(5 * 60_000);
    expect(await code(catalog.liveQuote(store.db.kysely, big.id))).toBe("QUOTE_EXPIRED");
  });
  it("finds only the latest active version, and no longer finds a retired service", async () => {
    const key = `archive${uniq}.object`;
    await run((tx) => catalog.publishSkill(tx, "prn_a", skill(key)));
    const v1 = await run((tx) =>
      catalog.publishService(tx, "prn_a", service(`relic-${uniq}`, key, { tags: ["parchment"] })),
    );
    const v2 = await run((tx) =>
      catalog.publishService(
        tx,
        "prn_a",
        service(`relic-${uniq}`, key, { version: "1.1.0", tags: ["parchment"] }),
      ),
    );
    const ids = async () =>
      (await catalog.search(store.db.kysely, "parchment", {}, {})).map((r) => r.service.id);
    expect(await ids()).toEqual([v2.id]);
    expect(
      (await catalog.search(store.db.kysely, "", { skill_key: key }, {})).map((r) => r.service.id),
    ).toEqual([v2.id]);
    await run((tx) => catalog.retireService(tx, "prn_a", v2.id));
    expect(await ids()).toEqual([]);
    expect(await catalog.search(store.db.kysely, "", { skill_key: key }, {})).toEqual([]);
    expect((await catalog.getService(store.db.kysely, v1.id)).version).toBe("1.0.0");
    expect((await catalog.getService(store.db.kysely, v2.id)).status).toBe("retired");
  });

  it("resolves a name to its newest version and skill on every lookup, retired or republished", async () => {
    const key = `scribe${uniq}.text`;
    await run((tx) => catalog.publishSkill(tx, "prn_a", skill(key)));
    const name = `scribe-${uniq}`;
    const v1 = await run((tx) => catalog.publishService(tx, "prn_a", service(name, key)));
    const first = await catalog.serviceWithSkill(store.db.kysely, name);
    expect(first?.service).toMatchObject({ id: v1.id, status: "active", latest: true });
    expect(first?.skill).toMatchObject({ key, version: "1.0.0", latest: true });
    expect((await catalog.serviceByName(store.db.kysely, name))?.id).toBe(v1.id);

    const v2 = await run((tx) =>
      catalog.publishService(tx, "prn_a", service(name, key, { version: "2.0.0" })),
    );
    const skill2 = await run((tx) =>
      catalog.publishSkill(tx, "prn_a", skill(key, { version: "1.1.0", label: "scribe 2" })),
    );
    const second = await catalog.serviceWithSkill(store.db.kysely, name);
    expect(second?.service).toMatchObject({ id: v2.id, version: "2.0.0", latest: true });
    expect(second?.skill).toMatchObject({ id: skill2.id, label: "scribe 2" });
    expect((await catalog.getSkill(store.db.kysely, key))?.id).toBe(skill2.id);
    expect((await catalog.getSkill(store.db.kysely, key, "1.0.0"))?.latest).toBe(false);

    await run((tx) => catalog.retireService(tx, "prn_a", v2.id));
    expect((await catalog.serviceByName(store.db.kysely, name))?.status).toBe("retired");
    expect(await catalog.serviceWithSkill(store.db.kysely, `nobody-${uniq}`)).toBeNull();
  });

  it("keeps the best `limit` services in rank order and reads only those in full", async () => {
    const all = await catalog.search(store.db.kysely, "translate", {}, { region: "us-east" });
    const two = await catalog.search(
      store.db.kysely,
      "translate",
      {},
      { region: "us-east" },
      {
        limit: 1,
      },
    );
    expect(all.length).toBeGreaterThan(1);
    expect(two).toEqual(all.slice(0, 1));
    expect(two[0]?.service.pricing.minimum_minor).toBe(5_000n);
  });

  it("quotes several services in one call, a problem in place of a quote it cannot give", async () => {
    const found = await catalog.search(store.db.kysely, "translate", {}, {});
    const services = found.map((r) => r.service);
    const outcomes = await run((tx) =>
      catalog.quoteAll(
        tx,
        services.map((service) => ({ service, input: { text: "hola" } })),
      ),
    );
    expect(outcomes).toHaveLength(services.length);
    for (const o of outcomes) {
      if (!("quote" in o)) throw new Error(`no quote: ${o.problem.message}`);
      expect((await catalog.liveQuote(store.db.kysely, o.quote.id)).jws).toBe(o.quote.jws);
    }
    const [bad] = await run((tx) =>
      catalog.quoteAll(tx, [{ service: services[0] as (typeof services)[0], input: { text: 5 } }]),
    );
    expect(bad && "problem" in bad && bad.problem.code).toBe("QUOTE_INPUT_INVALID");
  });
});

describeStores("catalogue search scan", (store) => {
  const clock = manualClock(Date.UTC(2026, 10, 2));
  const keys = createKeySet({ clock, overlap_ms: 1e9, cache_ms: 0 });
  const uniq = Math.random().toString(36).slice(2, 8);
  const [quill, ink] = [`quill${uniq}`, `ink${uniq}`];
  const ids: Record<string, string> = {};
  let catalog: Catalog;

  beforeAll(async () => {
    await keys.ensure(store.db.kysely);
    catalog = createCatalog({
      clock,
      dialect: store.db.dialect,
      signQuote: (ex, payload) => keys.signCompact(ex, "agx-quote+jwt", payload),
      checkUrl: async () => {},
    });
    const key = `scribble${uniq}.pen`;
    await store.db.transaction((tx) => catalog.publishSkill(tx, "prn_a", skill(key)));
    // Published oldest first: a, b, c have both words, d and e only the first (d in us-east),
    // f both words only as prefixes of longer ones.
    const specs: [string, string, string][] = [
      ["a", `${quill} ${ink}`, "eu-west"],
      ["b", `${quill} ${ink}`, "eu-west"],
      ["c", `${quill} ${ink}`, "eu-west"],
      ["d", `${quill} sketch`, "us-east"],
      ["e", `${quill} sketch`, "eu-west"],
      ["f", `${quill}s ${ink}wells`, "eu-west"],
    ];
    for (const [name, words, region] of specs) {
      clock.advance(1000);
      const s = await store.db.transaction((tx) =>
        catalog.publishService(
          tx,
          "prn_a",
          service(`${name}-${uniq}`, key, { description: `${words} pens`, region }),
        ),
      );
      ids[name] = s.id;
    }
  });

  const found = async (tokens: string[], filter: object, limit: number, scan: number) =>
    (await searchHits(store.db.kysely, store.db.dialect, tokens, filter, limit, { scan })).map(
      (h) => Object.entries(ids).find(([, id]) => id === h.id)?.[0],
    );

  it("finds every word as written first, then as a prefix, then any word", async () => {
    const all = await found([quill, ink], {}, 10, 100);
    expect([...all.slice(0, 3)].sort()).toEqual(["a", "b", "c"]);
    expect(all[3]).toBe("f");
    expect([...all.slice(4)].sort()).toEqual(["d", "e"]);
    expect(await found([quill], {}, 5, 100)).not.toContain("f");
    expect(await found([`${quill}s`], {}, 5, 100)).toEqual(["f"]);
  });

  it("keeps only matches of every word when enough have them, whatever the bound", async () => {
    const two = await found([quill, ink], {}, 2, 100);
    expect(two.every((n) => n === "a" || n === "b" || n === "c")).toBe(true);
    expect(two).toHaveLength(2);
  });

  it("scans only the newest matches past the bound, then fills from any word", async () => {
    // Every pass stops after 2: the newest with both words (b, c), with both prefixes (f, c),
    // with either word (d, e), with either prefix (e, f).
    const bounded = await found([quill, ink], {}, 10, 2);
    expect([...bounded.slice(0, 2)].sort()).toEqual(["b", "c"]);
    expect(bounded.slice(2, 3)).toEqual(["f"]);
    expect([...bounded.slice(3)].sort()).toEqual(["d", "e"]);
  });

  it("applies filters inside the scan", async () => {
    expect(await found([quill], { region: "us-east" }, 10, 1)).toEqual(["d"]);
    const eu = await found([quill], { region: "eu-west" }, 10, 2);
    expect([...eu.slice(0, 2)].sort()).toEqual(["c", "e"]);
    expect(eu.slice(2)).toEqual(["f"]);
  });

  it("imports services in bulk, found and quoted like published ones", async () => {
    const key = `scribble${uniq}.pen`;
    const [imported] = await store.db.transaction((tx) =>
      catalog.importServices(tx, [
        {
          provider_id: "prn_b",
          input: service(`bulk-${uniq}`, key, { description: `lantern${uniq} pens` }),
        },
      ]),
    );
    const hits = await catalog.search(store.db.kysely, `lantern${uniq}`, {}, {});
    expect(hits.map((r) => r.service.id)).toEqual([imported?.id]);
    expect(hits[0]?.service).toMatchObject({
      status: "active",
      latest: true,
      provider_id: "prn_b",
    });
    const quote = await store.db.transaction((tx) =>
      catalog.quote(tx, { service: hits[0]?.service as Service, input: { text: "hi" } }),
    );
    expect(quote.amount_minor).toBe(10_000n);
  });
});

describeStores("catalogue search with live health", (store) => {
  const clock = manualClock(Date.UTC(2026, 10, 4));
  const keys = createKeySet({ clock, overlap_ms: 1e9, cache_ms: 0 });
  const uniq = Math.random().toString(36).slice(2, 8);
  const word = `lamp${uniq}`;
  const asked: string[][] = [];
  const healthy = new Set<string>();
  let catalog: Catalog;

  beforeAll(async () => {
    await keys.ensure(store.db.kysely);
    catalog = createCatalog({
      clock,
      dialect: store.db.dialect,
      signQuote: (ex, payload) => keys.signCompact(ex, "agx-quote+jwt", payload),
      checkUrl: async () => {},
      health: async (_ex, names) => {
        asked.push([...names].sort());
        return new Map(
          names
            .filter((n) => healthy.has(n))
            .map((n) => [n, { success_rate: 1, p50_latency_ms: 5 }]),
        );
      },
    });
    const key = `glow${uniq}.lamp`;
    await store.db.transaction(async (tx) => {
      await catalog.publishSkill(tx, "prn_a", skill(key));
      // Same words: in the searcher's region a service scores 0.15 more than elsewhere.
      const specs: [string, string][] = [
        ["near", "us-east"],
        ["twin", "us-east"],
        ["far", "ap-south"],
      ];
      for (const [name, region] of specs) {
        await catalog.publishService(
          tx,
          "prn_a",
          service(`${name}-${uniq}`, key, { description: `${word} lights`, region }),
        );
      }
    });
  });

  const names = (ranked: { service: Service }[]) =>
    ranked.map((r) => r.service.name.replace(`-${uniq}`, ""));

  it("asks for the health only of services it can lift into the results", async () => {
    asked.length = 0;
    healthy.add(`twin-${uniq}`);
    const top = await catalog.search(
      store.db.kysely,
      word,
      {},
      { region: "us-east" },
      { limit: 1 },
    );
    // twin's success rate lifts it over near, its equal without health; far is out of reach.
    expect(names(top)).toEqual(["twin"]);
    expect(asked).toEqual([[`near-${uniq}`, `twin-${uniq}`]]);
  });

  it("asks for every candidate's health when health can exclude one", async () => {
    asked.length = 0;
    const top = await catalog.search(
      store.db.kysely,
      word,
      {},
      { region: "us-east", min_trust: 0.5 },
      { limit: 1 },
    );
    expect(names(top)).toEqual(["twin"]);
    expect(asked).toEqual([[`far-${uniq}`, `near-${uniq}`, `twin-${uniq}`]]);
  });
});
