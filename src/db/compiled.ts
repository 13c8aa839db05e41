import type { Compilable, CompiledQuery, QueryResult, RootOperationNode } from "kysely";
import { assert } from "../kernel/assert.ts";
import { limits } from "../kernel/limits.ts";
import type { Executor } from "./db.ts";

/** A placeholder for one value of the arguments, by its path in them. */
class Slot {
  constructor(readonly path: readonly (string | number)[]) {}
}

/** A compiled shape: its SQL, and where each of its parameters comes from. */
interface Template {
  sql: string;
  query: RootOperationNode;
  queryId: CompiledQuery["queryId"];
  /** Per parameter: reads its value from the arguments (a path into them, or a constant). */
  params: ((args: unknown) => unknown)[];
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * What decides the SQL text: array lengths and the defined keys of plain objects, in order
 * (Kysely leaves out undefined columns, and a row's key order is its column order).
 */
function shapeOf(v: unknown): string {
  if (Array.isArray(v)) {
    let out = "[";
    for (const item of v) out += `${shapeOf(item)},`;
    return `${out}]`;
  }
  if (!isPlain(v)) return "";
  let out = "{";
  for (const k in v) if (v[k] !== undefined) out += `${k}:${shapeOf(v[k])},`;
  return `${out}}`;
}

/** The arguments with every value replaced by a slot naming its path. */
function placeholders(v: unknown, path: (string | number)[]): unknown {
  if (Array.isArray(v)) return v.map((item, i) => placeholders(item, [...path, i]));
  if (!isPlain(v)) return new Slot(path);
  const out: Record<string, unknown> = {};
  for (const k in v) if (v[k] !== undefined) out[k] = placeholders(v[k], [...path, k]);
  return out;
}

type Node = Record<string | number, unknown>;

/** A reader of one path; the short paths every store uses get a closure without a loop. */
function readerOf(path: readonly (string | number)[]): (args: unknown) => unknown {
  const [a, b, c] = path;
  if (path.length === 0) return (args) => args;
  if (path.length === 1 && a !== undefined) return (args) => (args as Node)[a];
  if (path.length === 2 && a !== undefined && b !== undefined) {
    return (args) => ((args as Node)[a] as Node)[b];
  }
  if (path.length === 3 && a !== undefined && b !== undefined && c !== undefined) {
    return (args) => (((args as Node)[a] as Node)[b] as Node)[c];
  }
  return (args) => path.reduce((v, k) => (v as Node)[k], args);
}

function parametersOf(t: Template, args: unknown): unknown[] {
  const out = new Array<unknown>(t.params.length);
  for (let i = 0; i < out.length; i++) out[i] = (t.params[i] as (args: unknown) => unknown)(args);
  return out;
}

/**
 * A query built and compiled once per dialect and argument shape (array lengths, defined keys),
 * then run again with new values: building and compiling with Kysely costs more CPU than a
 * small statement takes to run on SQLite. `build` must use its arguments only as values handed
 * to Kysely: no arithmetic, no JSON, no branching on them (compute those before the call, or
 * add a separate query). The first run of each shape also builds with the real values and
 * checks that both give the same SQL and parameters, so a builder that breaks the rule fails
 * loudly on its first call. With plugins on the executor it builds every time.
 */
export function compiledQuery<A, R>(
  build: (db: Executor, args: A) => Compilable<R>,
): (ex: Executor, args: A) => Promise<QueryResult<R>> {
  // By dialect adapter (shared by a database and all its transactions), then by shape.
  const cache = new WeakMap<object, Map<string, Template>>();
  return async (ex, args) => {
    const executor = ex.getExecutor();
    if (executor.plugins.length > 0) return ex.executeQuery(build(ex, args));
    let shapes = cache.get(executor.adapter);
    if (!shapes) {
      shapes = new Map();
      cache.set(executor.adapter, shapes);
    }
    const shape = shapeOf(args);
    let t = shapes.get(shape);
    if (!t) {
      if (shapes.size >= limits.compiled_query_shapes_max) {
        return ex.executeQuery(build(ex, args));
      }
      t = compile(ex, build, args);
      shapes.set(shape, t);
    }
    const compiled: CompiledQuery<R> = {
      sql: t.sql,
      query: t.query,
      queryId: t.queryId,
      parameters: parametersOf(t, args),
    };
    return ex.executeQuery(compiled);
  };
}

function compile<A, R>(
  ex: Executor,
  build: (db: Executor, args: A) => Compilable<R>,
  args: A,
): Template {
  const shaped = build(ex, placeholders(args, []) as A).compile();
  const t: Template = {
    sql: shaped.sql,
    query: shaped.query,
    queryId: shaped.queryId,
    params: shaped.parameters.map((p) => (p instanceof Slot ? readerOf(p.path) : () => p)),
  };
  const real = build(ex, args).compile();
  const resolved = parametersOf(t, args);
  assert(
    real.sql === t.sql &&
      real.parameters.length === resolved.length &&
      real.parameters.every((p, i) => Object.is(p, resolved[i])),
    `compiledQuery: the builder must use its arguments only as values (${t.sql})`,
  );
  return t;
}
