import type { RunReport } from "./report.ts";

/**
 * The run's chart as SVG, drawn with Vega-Lite and rendered headless by Vega (`renderer:
 * "none"`, `toSVG()`): no browser, no canvas, no native module. Three panels: CPU per request
 * of every config, the marginal cost of each check, latency percentiles per config.
 */
export async function renderChart(report: RunReport): Promise<string> {
  const vega = await import("vega");
  const vegaLite = await import("vega-lite");
  const label = (id: string) => report.targets.find((t) => t.id === id)?.label ?? id;
  const order = report.targets.map((t) => t.label);
  const c = report.plan.throughputConnections;

  const cpu = report.cells
    .filter((cell) => cell.connections === c && cell.proxyCpuUs !== null)
    .map((cell) => ({ config: label(cell.target), cpu: round(cell.proxyCpuUs!) }));
  const marginal = report.marginal.map((m) => ({
    config: `${label(m.target)} (vs ${label(m.base)})`,
    delta: round(m.deltaCpuUs),
  }));
  const latency = report.cells.flatMap((cell) => [
    ["p50", cell.p50Us], ["p99", cell.p99Us], ["p99.9", cell.p999Us],
  ].map(([percentile, us]) => ({
    config: label(cell.target),
    connections: `${cell.connections} conn.`,
    percentile,
    ms: round((us as number) / 1000, 3),
  })));

  const width = 620;
  const labels = { labelLimit: 280 };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `Portcullis benchmark ${report.startedAt}`,
    config: { font: "sans-serif", view: { stroke: null } },
    vconcat: [
      {
        title: `CPU time per request of the proxy process tree (c=${c})`,
        width, height: { step: 18 },
        data: { values: cpu },
        mark: "bar",
        encoding: {
          y: { field: "config", type: "nominal", sort: order, title: null, axis: labels },
          x: { field: "cpu", type: "quantitative", title: "µs per request" },
        },
      },
      {
        title: "Marginal CPU cost of each check (goal: < 5 µs)",
        width, height: { step: 18 },
        data: { values: marginal },
        layer: [
          {
            mark: "bar",
            encoding: {
              y: { field: "config", type: "nominal", sort: null, title: null, axis: labels },
              x: { field: "delta", type: "quantitative", title: "Δ µs per request" },
              color: {
                condition: { test: "datum.delta >= 5", value: "#c0392b" },
                value: "#2e86c1",
              },
            },
          },
          { mark: { type: "rule", strokeDash: [4, 3] }, encoding: { x: { datum: 5 } } },
        ],
      },
      {
        title: "Latency percentiles per config (log scale)",
        data: { values: latency },
        facet: { row: { field: "connections", type: "nominal", title: null } },
        spec: {
          width, height: 160,
          // Points, not bars: a bar on a log scale has no zero to start from.
          mark: { type: "point", filled: true, size: 70 },
          encoding: {
            x: { field: "config", type: "nominal", sort: order, title: null,
              axis: { labelAngle: -30, labelLimit: 240 } },
            xOffset: { field: "percentile", type: "nominal", sort: ["p50", "p99", "p99.9"] },
            y: { field: "ms", type: "quantitative", scale: { type: "log" }, title: "ms" },
            color: { field: "percentile", type: "nominal", sort: ["p50", "p99", "p99.9"] },
          },
        },
      },
    ],
  };
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  return view.toSVG();
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));
