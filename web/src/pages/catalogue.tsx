import { useMemo, useState } from "react";
import { Empty, LoadView, ProblemView } from "../components/states.tsx";
import { Field, Money, When } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useAction, useLoad } from "../lib/hooks.ts";
import { checkJsonSchemaText, type JsonIssue, parseJsonText } from "../lib/json-schema.ts";
import { useSession } from "../session.tsx";
import type { Service, ServiceStats, Skill } from "../types.ts";

const SCHEMA_EXAMPLE = JSON.stringify(
  { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  null,
  2,
);

const serviceTemplate = (providerName: string) =>
  JSON.stringify(
    {
      name: "my-service",
      version: "1.0.0",
      skill_key: "my.skill",
      description: "What it does",
      company_name: providerName,
      execution_mode: "native",
      endpoints: [{ url: "https://example.com/run", method: "POST" }],
      pricing: { model: "fixed", asset: "USDC", amount: "0.10" },
      rails: ["prepaid"],
    },
    null,
    2,
  );

/** Providers publish skills and services and see how their services do. */
export function CataloguePage() {
  const me = useSession().principal;
  const skills = useLoad(
    (signal) =>
      api<{ items: Skill[] }>("GET", "/api/v1/catalog/skills", { query: { limit: 200 }, signal }),
    [],
  );
  const services = useLoad(
    (signal) =>
      api<{ items: Service[] }>("GET", "/api/v1/catalog/services", {
        query: { provider: me.id, limit: 200 },
        signal,
      }),
    [me.id],
  );
  const [editing, setEditing] = useState<Skill | null>(null);
  const mySkills =
    skills.load.state === "ready" ? skills.load.data.items.filter((s) => s.owner_id === me.id) : [];
  return (
    <section aria-labelledby="catalogue-heading">
      <h1 id="catalogue-heading">Catalogue</h1>
      <h2>My services</h2>
      <LoadView load={services.load} what="your services" reload={services.reload}>
        {(page) => <ServiceTable items={page.items} />}
      </LoadView>
      <h2>My skills</h2>
      <LoadView load={skills.load} what="skills" reload={skills.reload}>
        {() =>
          mySkills.length === 0 ? (
            <Empty>
              You have published no skills. A skill is the contract (operations with JSON Schemas)
              services implement.
            </Empty>
          ) : (
            <ul>
              {mySkills.map((s) => (
                <li key={s.id}>
                  <strong>{s.key}</strong>@{s.version} — {s.label}{" "}
                  <button type="button" onClick={() => setEditing(s)}>
                    New version
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </LoadView>
      <SkillEditor key={editing?.id ?? "new"} base={editing} onDone={skills.reload} />
      <ServiceEditor providerName={me.display_name} onDone={services.reload} />
    </section>
  );
}

function ServiceTable({ items }: { items: Service[] }) {
  if (items.length === 0) return <Empty>No services yet. Publish one below.</Empty>;
  return (
    <table data-testid="service-stats">
      <caption className="sr-only">
        Your services with runs, success rate, latency and revenue (all versions, all time)
      </caption>
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">Status</th>
          <th scope="col">Runs</th>
          <th scope="col">Success</th>
          <th scope="col">p50 latency</th>
          <th scope="col">p95 latency</th>
          <th scope="col">Revenue (net of fee)</th>
          <th scope="col">Published</th>
        </tr>
      </thead>
      <tbody>
        {items.map((s) => (
          <tr key={s.id} data-service={s.name}>
            <td>
              {s.name}@{s.version} <small>({s.skill_key})</small>
            </td>
            <td>{s.status}</td>
            <ServiceStatsCells id={s.id} />
            <td>
              <When iso={s.created_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const percent = (rate: number | null) => (rate === null ? "—" : `${Math.round(rate * 1000) / 10}%`);
const ms = (v: number | null) => (v === null ? "—" : `${v} ms`);

/** One service's own figures (GET /api/v1/catalog/services/:id/stats), as five cells. */
function ServiceStatsCells({ id }: { id: string }) {
  const { load } = useLoad(
    (signal) => api<ServiceStats>("GET", `/api/v1/catalog/services/${id}/stats`, { signal }),
    [id],
  );
  if (load.state === "loading")
    return (
      <td colSpan={5} className="meta">
        Loading figures…
      </td>
    );
  if (load.state === "error")
    return (
      <td colSpan={5} className="field-error">
        Figures unavailable: {load.error.message}
      </td>
    );
  const v = load.data;
  return (
    <>
      <td data-testid="runs">
        {v.runs.total}
        {v.runs.failed > 0 ? <small> ({v.runs.failed} failed)</small> : null}
      </td>
      <td data-testid="success">{percent(v.success_rate)}</td>
      <td data-testid="p50">{ms(v.latency_ms.p50)}</td>
      <td data-testid="p95">{ms(v.latency_ms.p95)}</td>
      <td data-testid="revenue">
        {v.revenue.length === 0
          ? "—"
          : v.revenue.map((r) => (
              <div key={r.asset}>
                <Money minor={r.net.amount_minor} asset={r.asset} />{" "}
                <small>({r.settled_orders} settled)</small>
              </div>
            ))}
      </td>
    </>
  );
}

function Issues({ issues }: { issues: JsonIssue[] }) {
  if (issues.length === 0) return null;
  return (
    <ul className="field-error" aria-live="polite">
      {issues.map((i) => (
        <li key={`${i.pointer}:${i.message}`}>
          {i.pointer ? <code>{i.pointer}</code> : null} {i.message}
          {i.line ? ` (line ${i.line}, column ${i.column})` : ""}
        </li>
      ))}
    </ul>
  );
}

function SchemaField({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
}) {
  const { issues } = useMemo(() => checkJsonSchemaText(value), [value]);
  return (
    <Field
      label={label}
      hint="JSON Schema"
      {...(issues.length ? { error: `${issues.length} problem(s) below` } : {})}
    >
      {(p) => (
        <>
          <textarea
            {...p}
            className="code"
            rows={8}
            spellCheck={false}
            value={value}
            onChange={(e) => onChange(e.target.value)}
          />
          <Issues issues={issues} />
        </>
      )}
    </Field>
  );
}

function SkillEditor({ base, onDone }: { base: Skill | null; onDone: () => void }) {
  const op = (base?.operations[0] ?? null) as {
    name?: string;
    description?: string;
    input_schema?: unknown;
    output_schema?: unknown;
  } | null;
  const [form, setForm] = useState({
    key: base?.key ?? "",
    version: base ? "" : "1.0.0",
    label: base?.label ?? "",
    description: base?.description ?? "",
    operation: op?.name ?? "run",
    input: op?.input_schema ? JSON.stringify(op.input_schema, null, 2) : SCHEMA_EXAMPLE,
    output: op?.output_schema ? JSON.stringify(op.output_schema, null, 2) : SCHEMA_EXAMPLE,
  });
  const [done, setDone] = useState<string | null>(null);
  const publish = useAction(async (key: string) => {
    const input = checkJsonSchemaText(form.input);
    const output = checkJsonSchemaText(form.output);
    if (input.issues.length || output.issues.length)
      throw new Error("Fix the schema problems first");
    const skill = await api<Skill>("POST", "/api/v1/catalog/skills", {
      body: {
        key: form.key,
        version: form.version,
        label: form.label,
        description: form.description,
        operations: [
          {
            name: form.operation,
            description: form.description || form.label,
            input_schema: input.schema,
            output_schema: output.schema,
          },
        ],
      },
      idempotencyKey: key,
    });
    setDone(`Published ${skill.key}@${skill.version}`);
    onDone();
  });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  return (
    <form
      aria-labelledby="skill-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void publish.perform();
      }}
    >
      <h2 id="skill-heading">{base ? `New version of ${base.key}` : "Publish a skill"}</h2>
      <Field label="Key" hint="e.g. translate.text">
        {(p) => (
          <input {...p} value={form.key} onChange={set("key")} required readOnly={base !== null} />
        )}
      </Field>
      <Field label="Version" hint="semantic version, higher than the last">
        {(p) => <input {...p} value={form.version} onChange={set("version")} required />}
      </Field>
      <Field label="Label">
        {(p) => <input {...p} value={form.label} onChange={set("label")} required />}
      </Field>
      <Field label="Description">
        {(p) => <textarea {...p} value={form.description} onChange={set("description")} />}
      </Field>
      <Field label="Operation name">
        {(p) => <input {...p} value={form.operation} onChange={set("operation")} required />}
      </Field>
      <SchemaField
        label="Input schema"
        value={form.input}
        onChange={(v) => setForm({ ...form, input: v })}
      />
      <SchemaField
        label="Output schema"
        value={form.output}
        onChange={(v) => setForm({ ...form, output: v })}
      />
      {publish.error ? <ProblemView error={publish.error} /> : null}
      {done ? <p role="status">{done}</p> : null}
      <button type="submit" className="primary" disabled={publish.busy}>
        Publish skill
      </button>
    </form>
  );
}

function ServiceEditor({ providerName, onDone }: { providerName: string; onDone: () => void }) {
  const [text, setText] = useState(() => serviceTemplate(providerName));
  const parsed = useMemo(() => parseJsonText(text), [text]);
  const [done, setDone] = useState<string | null>(null);
  const publish = useAction(async (key: string) => {
    if (!parsed.ok) throw new Error("Fix the JSON first");
    const s = await api<Service>("POST", "/api/v1/catalog/services", {
      body: parsed.value,
      idempotencyKey: key,
    });
    setDone(`Published ${s.name}@${s.version}`);
    onDone();
  });
  return (
    <form
      aria-labelledby="service-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void publish.perform();
      }}
    >
      <h2 id="service-heading">Publish a service (or a new version of one)</h2>
      <Field
        label="Service (JSON)"
        hint="the same name publishes a new version; the hub names any invalid field"
      >
        {(p) => (
          <>
            <textarea
              {...p}
              className="code"
              rows={16}
              spellCheck={false}
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
            {parsed.ok ? null : <Issues issues={[parsed.issue]} />}
          </>
        )}
      </Field>
      {publish.error ? <ProblemView error={publish.error} /> : null}
      {done ? <p role="status">{done}</p> : null}
      <button type="submit" className="primary" disabled={publish.busy || !parsed.ok}>
        Publish service
      </button>
    </form>
  );
}
