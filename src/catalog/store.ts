import { sql } from "kysely";
import { type DialectName, type Executor, num, tablesOf } from "../db/db.ts";
import type { Service, ServiceFilter, Skill } from "./model.ts";
import { searchRowOf, sqliteIndexOf } from "./search-terms.ts";
import { serviceFromJson, serviceToJson } from "./serialize.ts";

type Int = number | bigint;

interface SkillRow {
  id: string;
  key: string;
  version: string;
  label: string;
  description: string;
  tags: string;
  operations: string;
  owner_id: string;
  latest: Int;
  created_at_ms: Int;
}

interface ServiceRow {
  id: string;
  name: string;
  version: string;
  provider_id: string;
  skill_key: string;
  body: string;
  search_text: string;
  region: string;
  execution_mode: string;
  price_minor: Int | null;
  asset: string;
  rails: string;
  tags: string;
  status: string;
  latest: Int;
  created_at_ms: Int;
}

export interface QuoteRow {
  id: string;
  service_id: string;
  operation: string;
  amount_minor: Int;
  asset: string;
  input_sha256: string;
  requester_id: string | null;
  jws: string;
  expires_at_ms: Int;
  created_at_ms: Int;
}

/** A latest active service as search sees it (1610_catalog_search); rid is its FTS rowid. */
export interface SearchRow {
  rid: Int;
  service_id: string;
  name: string;
  skill_key: string;
  region: string;
  execution_mode: string;
  provider_id: string;
  price_minor: Int | null;
  maturity: string;
  rails: string;
  tags: string;
  /** SQLite only: the service's words as FTS5 indexes them, space-separated, and their count. */
  terms: string;
  terms_count: Int;
}

interface CatalogTables {
  catalog_skills: SkillRow;
  catalog_services: ServiceRow;
  catalog_quotes: QuoteRow;
  catalog_search_rows: SearchRow;
  catalog_search_fts: { rowid: Int; search_text: string };
  catalog_search_vocab: { term: string; doc: Int };
}

export const q = (ex: Executor) => tablesOf<CatalogTables>(ex);

function toSkill(row: SkillRow): Skill {
  return {
    id: row.id,
    key: row.key,
    version: row.version,
    label: row.label,
    description: row.description,
    tags: JSON.parse(row.tags) as string[],
    operations: JSON.parse(row.operations) as Skill["operations"],
    owner_id: row.owner_id,
    latest: num(row.latest) === 1,
    created_at_ms: num(row.created_at_ms),
  };
}

/** What `toService` reads: never the search text, which may be 20k characters per row. */
const serviceColumns = ["id", "body", "status", "latest"] as const;
type ServiceBodyRow = Pick<ServiceRow, (typeof serviceColumns)[number]>;

const toService = (row: ServiceBodyRow): Service => ({
  ...serviceFromJson(row.body),
  status: row.status as Service["status"],
  latest: num(row.latest) === 1,
});

/** Inserts a skill version, making it the latest; false when (key, version) exists. */
export async function insertSkill(ex: Executor, s: Skill): Promise<boolean> {
  const r = await q(ex)
    .insertInto("catalog_skills")
    .values({
      ...s,
      tags: JSON.stringify(s.tags),
      operations: JSON.stringify(s.operations),
      latest: 1,
    })
    .onConflict((oc) => oc.columns(["key", "version"]).doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
  await q(ex)
    .updateTable("catalog_skills")
    .set({ latest: 0 })
    .where("key", "=", s.key)
    .where("id", "!=", s.id)
    .execute();
  return true;
}

export async function skillByKey(ex: Executor, key: string, version?: string) {
  let query = q(ex).selectFrom("catalog_skills").selectAll().where("key", "=", key);
  query = version ? query.where("version", "=", version) : query.where("latest", "=", 1);
  const row = await query.executeTakeFirst();
  return row ? toSkill(row) : null;
}

/** The latest version of each skill key given (keys without a skill are left out). */
export async function latestSkills(ex: Executor, keys: string[]): Promise<Map<string, Skill>> {
  if (keys.length === 0) return new Map();
  const rows = await q(ex)
    .selectFrom("catalog_skills")
    .selectAll()
    .where("key", "in", keys)
    .where("latest", "=", 1)
    .execute();
  return new Map(rows.map((r) => [r.key, toSkill(r)]));
}

export async function listSkills(ex: Executor, after: string | null, limit: number) {
  let query = q(ex).selectFrom("catalog_skills").selectAll().where("latest", "=", 1);
  if (after) query = query.where("id", ">", after);
  return (await query.orderBy("id").limit(limit).execute()).map(toSkill);
}

/** Inserts a service version as the latest, keeping the full-text index on latest rows only. */
export async function insertService(
  ex: Executor,
  dialect: DialectName,
  s: Service,
  search_text: string,
): Promise<boolean> {
  const r = await q(ex)
    .insertInto("catalog_services")
    .values({
      id: s.id,
      name: s.name,
      version: s.version,
      provider_id: s.provider_id,
      skill_key: s.skill_key,
      body: serviceToJson(s),
      search_text,
      region: s.region,
      execution_mode: s.execution_mode,
      price_minor: s.pricing.amount_minor ?? s.pricing.minimum_minor,
      asset: s.pricing.asset,
      rails: JSON.stringify(s.rails),
      tags: JSON.stringify(s.tags),
      status: s.status,
      latest: 1,
      created_at_ms: s.created_at_ms,
    })
    .onConflict((oc) => oc.columns(["name", "version"]).doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
  const older = await q(ex)
    .updateTable("catalog_services")
    .set({ latest: 0 })
    .where("name", "=", s.name)
    .where("id", "!=", s.id)
    .where("latest", "=", 1)
    .returning("id")
    .execute();
  await unsearchable(
    ex,
    dialect,
    older.map((o) => o.id),
  );
  await searchable(ex, dialect, s, search_text);
  return true;
}

/** Rows per multi-row insert of a bulk load (16 columns: well under SQLite's 32766 variables). */
const BULK_ROWS_MAX = 500;

/**
 * Inserts services of names the catalogue does not hold yet, as latest versions, in multi-row
 * statements, filling what search reads exactly as `insertService` does. For loading a generated
 * or imported catalogue (the search bench): no previous version is looked up or retired, so a
 * name that exists already fails the whole call on its (name, version) or leaves two latest rows.
 */
export async function insertNewServices(
  ex: Executor,
  dialect: DialectName,
  items: { service: Service; search_text: string }[],
): Promise<void> {
  for (let i = 0; i < items.length; i += BULK_ROWS_MAX) {
    const chunk = items.slice(i, i + BULK_ROWS_MAX);
    await q(ex)
      .insertInto("catalog_services")
      .values(
        chunk.map(({ service: s, search_text }) => ({
          id: s.id,
          name: s.name,
          version: s.version,
          provider_id: s.provider_id,
          skill_key: s.skill_key,
          body: serviceToJson(s),
          search_text,
          region: s.region,
          execution_mode: s.execution_mode,
          price_minor: s.pricing.amount_minor ?? s.pricing.minimum_minor,
          asset: s.pricing.asset,
          rails: JSON.stringify(s.rails),
          tags: JSON.stringify(s.tags),
          status: s.status,
          latest: 1,
          created_at_ms: s.created_at_ms,
        })),
      )
      .execute();
    if (dialect === "postgres") {
      await q(ex)
        .insertInto("catalog_search_rows")
        .values(
          chunk.map(({ service, search_text }) => ({
            ...searchRowOf(service),
            search_tsv: sql`to_tsvector('simple', ${search_text})`,
          })) as never,
        )
        .execute();
      continue;
    }
    const indexed = chunk.map(({ service, search_text }) => sqliteIndexOf(service, search_text));
    const rids = await q(ex)
      .insertInto("catalog_search_rows")
      .values(indexed.map((i) => i.row) as never)
      .returning(["rid", "service_id"])
      .execute();
    const text = new Map(indexed.map((i) => [i.row.service_id, i.fts_text]));
    await q(ex)
      .insertInto("catalog_search_fts")
      .values(rids.map((r) => ({ rowid: r.rid, search_text: text.get(r.service_id) ?? "" })))
      .execute();
  }
}

/** Adds a latest active service to what search reads (its narrow row and full-text entry). */
async function searchable(ex: Executor, dialect: DialectName, s: Service, search_text: string) {
  const row = searchRowOf(s);
  if (dialect === "postgres") {
    await q(ex)
      .insertInto("catalog_search_rows")
      .values({ ...row, search_tsv: sql`to_tsvector('simple', ${search_text})` } as never)
      .execute();
    return;
  }
  const indexed = sqliteIndexOf(s, search_text);
  const { rid } = await q(ex)
    .insertInto("catalog_search_rows")
    .values(indexed.row as never)
    .returning("rid")
    .executeTakeFirstOrThrow();
  await q(ex)
    .insertInto("catalog_search_fts")
    .values({ rowid: rid, search_text: indexed.fts_text })
    .execute();
}

/** Removes services from what search reads (a newer version replaced them, or they retired). */
async function unsearchable(ex: Executor, dialect: DialectName, ids: string[]) {
  if (ids.length === 0) return;
  const gone = await q(ex)
    .deleteFrom("catalog_search_rows")
    .where("service_id", "in", ids)
    .returning("rid")
    .execute();
  if (dialect === "sqlite" && gone.length) {
    await q(ex)
      .deleteFrom("catalog_search_fts")
      .where(
        "rowid",
        "in",
        gone.map((g) => g.rid),
      )
      .execute();
  }
}

export async function getService(ex: Executor, id: string): Promise<Service | null> {
  const row = await q(ex)
    .selectFrom("catalog_services")
    .select(serviceColumns)
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toService(row) : null;
}

export async function serviceByName(ex: Executor, name: string): Promise<Service | null> {
  const row = await q(ex)
    .selectFrom("catalog_services")
    .select(serviceColumns)
    .where("name", "=", name)
    .where("latest", "=", 1)
    .executeTakeFirst();
  return row ? toService(row) : null;
}

/** Where a service name points now: its latest version's id and status, and its skill's key. */
export interface ServiceRef {
  service_id: string;
  status: Service["status"];
  skill_key: string;
  /** The id of the skill's latest version; null when the skill is missing. */
  skill_id: string | null;
}

/** The ids of a name's latest service version and of its skill's latest version, in one read. */
export async function serviceRefByName(ex: Executor, name: string): Promise<ServiceRef | null> {
  const row = await q(ex)
    .selectFrom("catalog_services as s")
    .leftJoin("catalog_skills as k", (j) =>
      j.onRef("k.key", "=", "s.skill_key").on("k.latest", "=", 1),
    )
    .select(["s.id", "s.status", "s.skill_key", "k.id as skill_id"])
    .where("s.name", "=", name)
    .where("s.latest", "=", 1)
    .executeTakeFirst();
  if (!row) return null;
  return {
    service_id: row.id,
    status: row.status as Service["status"],
    skill_key: row.skill_key,
    skill_id: row.skill_id ?? null,
  };
}

/** The id of a skill's latest version, or null. */
export async function latestSkillId(ex: Executor, key: string): Promise<string | null> {
  const row = await q(ex)
    .selectFrom("catalog_skills")
    .select("id")
    .where("key", "=", key)
    .where("latest", "=", 1)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** A skill version by id (rows never change but for `latest`). */
export async function skillById(ex: Executor, id: string): Promise<Skill | null> {
  const row = await q(ex)
    .selectFrom("catalog_skills")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toSkill(row) : null;
}

/** Retires a service version: it stays readable by id, and search no longer finds it. */
export async function retireService(ex: Executor, dialect: DialectName, id: string) {
  await q(ex)
    .updateTable("catalog_services")
    .set({ status: "retired" })
    .where("id", "=", id)
    .execute();
  await unsearchable(ex, dialect, [id]);
}

/** Services by id in the order asked (ids not found are left out). */
export async function servicesByIds(ex: Executor, ids: string[]): Promise<Service[]> {
  if (ids.length === 0) return [];
  const rows = await q(ex)
    .selectFrom("catalog_services")
    .select(serviceColumns)
    .where("id", "in", ids)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [toService(row)] : [];
  });
}

/** Escapes LIKE wildcards so a tag or rail is matched literally inside its JSON array. */
function likeJsonString(value: string): string {
  return `%${JSON.stringify(value).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// biome-ignore lint/suspicious/noExplicitAny: a Kysely query over the services table.
export function applyFilter<QB extends { where: (...args: any[]) => QB }>(
  query: QB,
  f: ServiceFilter,
  dialect: DialectName,
): QB {
  let out = query;
  if (f.skill_key) out = out.where("s.skill_key", "=", f.skill_key);
  // Categories, tags and rails compare without case: SQLite's LIKE ignores ASCII case, and
  // PostgreSQL's ILIKE (on the column itself, so the planner keeps its statistics) all case.
  const like = sql.raw(dialect === "postgres" ? "ilike" : "like");
  if (f.category) {
    const escaped = f.category.replace(/[\\%_]/g, (c) => `\\${c}`);
    out = out.where(sql<boolean>`s.skill_key ${like} ${`${escaped}.%`} escape '\\'`);
  }
  if (f.provider_id) out = out.where("s.provider_id", "=", f.provider_id);
  if (f.region) out = out.where("s.region", "=", f.region);
  if (f.execution_mode) out = out.where("s.execution_mode", "=", f.execution_mode);
  if (f.tag) out = out.where(sql<boolean>`s.tags ${like} ${likeJsonString(f.tag)} escape '\\'`);
  if (f.rail) out = out.where(sql<boolean>`s.rails ${like} ${likeJsonString(f.rail)} escape '\\'`);
  if (f.price_min_minor !== undefined) out = out.where("s.price_minor", ">=", f.price_min_minor);
  if (f.price_max_minor !== undefined) out = out.where("s.price_minor", "<=", f.price_max_minor);
  return out;
}

/** Latest active services matching the filter, by id, after a cursor. */
export async function listServices(
  ex: Executor,
  dialect: DialectName,
  filter: ServiceFilter,
  after: string | null,
  limit: number,
): Promise<Service[]> {
  let query = q(ex)
    .selectFrom("catalog_services as s")
    .select(["s.id", "s.body", "s.status", "s.latest"])
    .where("s.latest", "=", 1)
    .where("s.status", "=", "active");
  query = applyFilter(query, filter, dialect);
  if (after) query = query.where("s.id", ">", after);
  return (await query.orderBy("s.id").limit(limit).execute()).map(toService);
}

/**
 * Active services on a `builtin:` endpoint whose provider is not `operator_id` (sellers reselling
 * the hub's compute), at most `limit`.
 */
export async function resoldBuiltins(
  ex: Executor,
  operator_id: string,
  limit: number,
): Promise<Service[]> {
  const rows = await q(ex)
    .selectFrom("catalog_services as s")
    .select(["s.id", "s.body", "s.status", "s.latest"])
    .where("s.latest", "=", 1)
    .where("s.status", "=", "active")
    .where("s.provider_id", "!=", operator_id)
    .where("s.body", "like", '%"url":"builtin:%')
    .orderBy("s.id")
    .limit(limit)
    .execute();
  // The body is the service's JSON: the pattern may also match a description; look again.
  return rows.map(toService).filter((s) => s.endpoints.some((e) => e.url.startsWith("builtin:")));
}

export async function insertQuotes(ex: Executor, rows: QuoteRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q(ex).insertInto("catalog_quotes").values(rows).execute();
}

export async function getQuote(ex: Executor, id: string) {
  const row = await q(ex)
    .selectFrom("catalog_quotes")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  return { ...row, amount_minor: BigInt(row.amount_minor), expires_at_ms: num(row.expires_at_ms) };
}

export async function countServices(ex: Executor): Promise<number> {
  const row = await q(ex)
    .selectFrom("catalog_services")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("latest", "=", 1)
    .where("status", "=", "active")
    .executeTakeFirstOrThrow();
  return num(row.n as Int);
}
