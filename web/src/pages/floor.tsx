import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import { Empty, LoadView } from "../components/states.tsx";
import { api } from "../lib/api.ts";
import { appendSample, emptySeries, type FloorSeries, sampleOfTotals } from "../lib/floor.ts";
import { useLoad } from "../lib/hooks.ts";
import { decimalsOf, formatMoney } from "../lib/money.ts";
import type { FloorStats } from "../types.ts";

const POINTS_MAX = 120;
const EVENTS_MAX = 50;

interface LiveEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

/** The Factory Floor: stats, the live event stream as a table and a chart over time. */
export function FloorPage() {
  const { load, reload } = useLoad(
    (signal) => api<FloorStats>("GET", "/ai-market/stats", { signal }),
    [],
  );
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [series, setSeries] = useState<FloorSeries>(emptySeries);
  const [connected, setConnected] = useState<"connecting" | "live" | "retrying">("connecting");
  const asset = "USDC";

  useEffect(() => {
    const source = new EventSource("/ai-market/v2/stats/live");
    source.onopen = () => setConnected("live");
    source.onerror = () => setConnected("retrying");
    source.addEventListener("totals", (e) => {
      const sample = sampleOfTotals(JSON.parse((e as MessageEvent<string>).data));
      if (sample) setSeries((s) => appendSample(s, sample, asset, decimalsOf(asset), POINTS_MAX));
    });
    for (const type of ["invocation", "settlement", "market"]) {
      source.addEventListener(type, (e) => {
        const m = e as MessageEvent<string>;
        const data = JSON.parse(m.data) as Record<string, unknown>;
        setEvents((list) =>
          [{ id: m.lastEventId || `${Date.now()}`, type, data }, ...list].slice(0, EVENTS_MAX),
        );
      });
    }
    return () => source.close();
  }, []);

  return (
    <section aria-labelledby="floor-heading">
      <h1 id="floor-heading">Live floor</h1>
      <p role="status" className="meta">
        Stream:{" "}
        {connected === "live"
          ? "live"
          : connected === "connecting"
            ? "connecting…"
            : "reconnecting…"}
      </p>
      <LoadView load={load} what="floor statistics" reload={reload}>
        {(s) => (
          <div className="stats">
            <dl className="facts">
              <dt>Principals</dt>
              <dd>{s.principals.total}</dd>
              <dt>Active services</dt>
              <dd>{s.services.active}</dd>
              <dt>Invocations</dt>
              <dd>{s.invocations.total}</dd>
              <dt>Error rate (window)</dt>
              <dd>
                {s.window.error_rate === null
                  ? "—"
                  : `${Math.round(s.window.error_rate * 1000) / 10}%`}
              </dd>
              <dt>Market orders</dt>
              <dd>{s.market_orders.total}</dd>
              <dt>Settled spend</dt>
              <dd>
                {s.settlements.spend.length === 0
                  ? "none yet"
                  : s.settlements.spend.map((x) => formatMoney(x.amount_minor, x.asset)).join(", ")}
              </dd>
            </dl>
            <h2>Top services</h2>
            {s.top_services.length === 0 ? (
              <Empty>No invocations yet.</Empty>
            ) : (
              <table>
                <caption className="sr-only">Top services by invocations</caption>
                <thead>
                  <tr>
                    <th scope="col">Service</th>
                    <th scope="col">Skill</th>
                    <th scope="col">Invocations</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Error rate</th>
                  </tr>
                </thead>
                <tbody>
                  {s.top_services.map((t) => (
                    <tr key={t.service}>
                      <td>{t.service}</td>
                      <td>{t.skill_key}</td>
                      <td>{t.invocations}</td>
                      <td>{t.failed}</td>
                      <td>
                        {t.error_rate === null ? "—" : `${Math.round(t.error_rate * 1000) / 10}%`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
      </LoadView>
      <h2>Invocations and spend over time</h2>
      <Chart series={series} asset={asset} />
      <h2>Live events</h2>
      {events.length === 0 ? (
        <Empty>
          Waiting for events… invocations, settlements and market moves appear here as they happen.
        </Empty>
      ) : (
        <table aria-live="polite" data-testid="live-events">
          <caption className="sr-only">Latest live events</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">What</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>
                  {typeof e.data.at === "string" ? new Date(e.data.at).toLocaleTimeString() : ""}
                </td>
                <td>{e.type}</td>
                <td>
                  {String(e.data.service ?? e.data.listing_kind ?? e.data.skill ?? "")}{" "}
                  {String(e.data.event ?? "")}
                </td>
                <td>{String(e.data.status ?? "")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Chart({ series, asset }: { series: FloorSeries; asset: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    if (!box.current) return;
    plot.current = new uPlot(
      {
        width: Math.max(320, box.current.clientWidth || 640),
        height: 240,
        series: [
          {},
          { label: "Invocations", stroke: "#2563eb", width: 2 },
          { label: "Failed", stroke: "#dc2626", width: 2 },
          { label: `Settled spend (${asset})`, stroke: "#059669", width: 2, scale: "money" },
        ],
        axes: [{}, { scale: "y" }, { scale: "money", side: 1, grid: { show: false } }],
        scales: { x: { time: true } },
      },
      [[], [], [], []],
      box.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [asset]);
  useEffect(() => {
    plot.current?.setData([series.x, series.invocations, series.failed, series.spend]);
  }, [series]);
  return (
    <figure>
      <div
        ref={box}
        className="chart"
        role="img"
        aria-label={`Invocations, failures and settled ${asset} over time`}
      />
      <figcaption className="meta">
        {series.x.length === 0
          ? "The chart fills in as the stream sends totals."
          : `${series.x.length} samples`}
      </figcaption>
    </figure>
  );
}
