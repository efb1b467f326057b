// csgen dashboard: polls /api/status (counters, every second) and /api/reports (the
// standard reports over the lake, every few seconds) and redraws in place. Everything
// it loads is served by csgen itself. Each chart's <figure> gets data-points (the
// number of values drawn) so tests and curious users can see what was rendered.
"use strict";

const STATUS_EVERY_MS = 1000;
const REPORTS_EVERY_MS = 5000;
const THROUGHPUT_SAMPLES = 120;
const PALETTE = ["#3056d3", "#e8773a", "#2e9e6a", "#c23b6b", "#7b5cc4", "#d4a72c", "#3a9fbf", "#8a8f99"];
const fmt = new Intl.NumberFormat("en-US");
const fmt1 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

const $ = (sel) => document.querySelector(sel);
const charts = {};

function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${fmt1.format(n)} ${units[i]}`;
}

function percent(x) {
  return x == null || Number.isNaN(x) ? "–" : `${fmt1.format(100 * x)} %`;
}

function duration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return "–";
  if (seconds < 60) return `${fmt1.format(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

// ---- charts -------------------------------------------------------------------------

function chart(name, config) {
  const figure = document.querySelector(`[data-chart="${name}"]`);
  const base = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
  };
  charts[name] = {
    figure,
    chart: new Chart(figure.querySelector("canvas"), {
      ...config,
      options: { ...base, ...config.options, plugins: { ...base.plugins, ...(config.options || {}).plugins } },
    }),
  };
}

function draw(name, labels, datasets) {
  const { figure, chart: c } = charts[name];
  c.data.labels = labels;
  datasets.forEach((d, i) => {
    const colour = d.colour || PALETTE[i % PALETTE.length];
    Object.assign(d, { backgroundColor: d.backgroundColor || colour, borderColor: d.borderColor || colour });
  });
  c.data.datasets = datasets;
  c.update("none");
  figure.dataset.points = String(datasets.reduce((n, d) => n + d.data.length, 0));
}

function setupCharts() {
  const noLegend = { plugins: { legend: { display: false } } };
  chart("throughput", {
    type: "line",
    data: { labels: [], datasets: [] },
    options: { elements: { point: { radius: 0 } }, scales: { y: { beginAtZero: true } } },
  });
  chart("hourly", {
    type: "bar",
    data: { labels: [], datasets: [] },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  chart("groups", { type: "bar", data: { labels: [], datasets: [] }, options: noLegend });
  chart("funnel", {
    type: "bar",
    data: { labels: [], datasets: [] },
    options: {
      indexAxis: "y",
      ...noLegend,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { afterLabel: (ctx) => ctx.dataset.notes?.[ctx.dataIndex] ?? "" } },
      },
    },
  });
  chart("channels", {
    type: "bar",
    data: { labels: [], datasets: [] },
    options: {
      plugins: {
        tooltip: { callbacks: { afterLabel: (ctx) => ctx.dataset.notes?.[ctx.dataIndex] ?? "" } },
      },
      scales: { y: { beginAtZero: true } },
    },
  });
  chart("products", { type: "bar", data: { labels: [], datasets: [] }, options: { indexAxis: "y", ...noLegend } });
  chart("active", {
    type: "line",
    data: { labels: [], datasets: [] },
    options: { elements: { point: { radius: 2 } }, scales: { y: { beginAtZero: true } }, ...noLegend },
  });
  chart("returning", {
    type: "bar",
    data: { labels: [], datasets: [] },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
}

// ---- live counters --------------------------------------------------------------------

const samples = [];

function showStatus(s) {
  const state = $("#state");
  setText(state, s.state);
  state.className = `pill ${s.state}`;
  setText($("#sink"), s.sink);
  const values = { ...s.counters, rate: s.rate, achieved_rate: s.achieved_rate, ...(s.store_counters || {}) };
  for (const el of document.querySelectorAll("[data-counter]")) {
    const v = values[el.dataset.counter];
    if (v == null) continue;
    const name = el.dataset.counter;
    setText(el, name === "bytes_written" ? bytes(v) : name.endsWith("rate") ? fmt1.format(v) : fmt.format(v));
  }
  $("#store-tiles").hidden = !s.store_counters;
  $("#store-where").hidden = !s.store;
  if (s.store) setText($("#store"), s.store);

  samples.push({ t: Date.now(), generated: s.counters.generated, delivered: s.counters.delivered });
  if (samples.length > THROUGHPUT_SAMPLES + 1) samples.shift();
  const labels = [], generated = [], delivered = [];
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1], samples[i]];
    const dt = (b.t - a.t) / 1000 || 1;
    labels.push(new Date(b.t).toLocaleTimeString("en-GB"));
    generated.push(Math.max(0, (b.generated - a.generated) / dt));
    delivered.push(Math.max(0, (b.delivered - a.delivered) / dt));
  }
  draw("throughput", labels, [
    { label: "generated", data: generated, borderWidth: 2 },
    { label: "delivered", data: delivered, borderWidth: 2 },
  ]);
}

// ---- reports --------------------------------------------------------------------------

function showReports(body) {
  const r = body.reports;
  $("#report-charts").hidden = false;
  $("#session-tiles").hidden = false;
  $("#report-error").hidden = true;
  for (const [name, view] of Object.entries(VIEWS)) {
    const { labels, datasets } = view(r);
    draw(name, labels, datasets);
  }
  for (const [name, value] of Object.entries(tiles(r))) {
    setText(document.querySelector(`[data-report="${name}"]`), value);
  }
  document.body.dataset.reportsMs = String(body.elapsed_ms);
}

// How each chart reads the reports JSON (csgen_analytics::Reports; the row types are
// in crates/analytics/src/report/rows.rs).
const HOURS_SHOWN = 72;
const TOP_PRODUCTS = 10;
const groupName = (row) => row.group_name ?? `group ${row.group_id}`;
// One colour per product group, the same in every chart.
const groupColour = (r, id) => {
  const ids = r.groups.map((g) => g.group_id).sort((a, b) => a - b);
  return PALETTE[Math.max(0, ids.indexOf(id)) % PALETTE.length];
};
const hourLabel = (row) => `${row.dt.slice(5)} ${String(row.hour).padStart(2, "0")}h`;

const VIEWS = {
  hourly(r) {
    const rows = r.hourly.slice(-HOURS_SHOWN);
    // The event types come with the reports (csgen_pipeline::EventType::ALL): one list.
    const types = r.event_types;
    const datasets = types
      .filter((t) => rows.some((row) => row[t] > 0))
      .map((t) => ({ label: t, data: rows.map((row) => row[t]), colour: PALETTE[types.indexOf(t) % PALETTE.length] }));
    return { labels: rows.map(hourLabel), datasets };
  },
  groups(r) {
    return {
      labels: r.groups.map(groupName),
      datasets: [{
        label: "clicks",
        data: r.groups.map((g) => g.clicks),
        backgroundColor: r.groups.map((g) => groupColour(r, g.group_id)),
      }],
    };
  },
  channels(r) {
    // Sessions and those that bought, per channel; the conversion is in each label.
    const rows = r.channels ?? [];
    return {
      labels: rows.map((c) => `${c.channel} (${percent(c.conversion)})`),
      datasets: [
        { label: "sessions", data: rows.map((c) => c.sessions) },
        {
          label: "converted",
          data: rows.map((c) => c.converted),
          notes: rows.map((c) => `revenue ${c.revenue.toFixed(2)}`),
        },
      ],
    };
  },
  funnel(r) {
    return {
      labels: r.funnel.map((f) => f.name),
      datasets: [{
        label: "sessions",
        data: r.funnel.map((f) => f.sessions),
        notes: r.funnel.map((f) => f.conversion == null ? "" : `${percent(f.conversion)} of the step before`),
      }],
    };
  },
  products(r) {
    const rows = [...r.top_products].sort((a, b) => b.views - a.views).slice(0, TOP_PRODUCTS);
    return {
      labels: rows.map((p) => `${groupName(p)} · ${p.product_id}`),
      datasets: [{
        label: "product views",
        data: rows.map((p) => p.views),
        backgroundColor: rows.map((p) => groupColour(r, p.group_id)),
      }],
    };
  },
  active(r) {
    const rows = r.hourly.slice(-HOURS_SHOWN);
    return { labels: rows.map(hourLabel), datasets: [{ label: "users", data: rows.map((row) => row.users), borderWidth: 2 }] };
  },
  returning(r) {
    return {
      labels: r.daily.map((d) => d.dt),
      datasets: [
        { label: "new", data: r.daily.map((d) => d.new_users) },
        { label: "returning", data: r.daily.map((d) => d.returning_users) },
      ],
    };
  },
};

// Revenue and average order value over the reports' days (the first currency: a
// store sells in one).
function money(days) {
  const currency = days[0]?.currency;
  const rows = days.filter((d) => d.currency === currency);
  const orders = rows.reduce((n, d) => n + d.orders, 0);
  const revenue = rows.reduce((n, d) => n + d.revenue, 0);
  const amount = (x) => `${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency ?? ""}`.trim();
  return {
    revenue: orders ? amount(revenue) : "–",
    average_order_value: orders ? amount(revenue / orders) : "–",
  };
}

function tiles(r) {
  const total = r.sessions.find((s) => s.dt == null);
  const last = r.funnel[r.funnel.length - 1];
  const latest = r.daily[r.daily.length - 1];
  return {
    events: fmt.format(r.hourly.reduce((n, h) => n + h.events, 0)),
    users: latest ? fmt.format(latest.users) : "–",
    sessions: total ? fmt.format(total.sessions) : "0",
    session_length: total ? duration(total.avg_seconds) : "–",
    bounce_rate: total ? percent(total.bounce_rate) : "–",
    conversion: last ? percent(last.overall) : "–",
    ...money(r.revenue ?? []),
  };
}

// ---- polling --------------------------------------------------------------------------

async function getJson(url) {
  const res = await fetch(url, { cache: "no-store" });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || `${url}: HTTP ${res.status}`);
  return body;
}

let hasStore = false;

async function pollStatus() {
  try {
    const s = await getJson("/api/status");
    hasStore = !!s.store;
    $("#no-reports").hidden = hasStore;
    showStatus(s);
    document.body.dataset.statusPolls = String(Number(document.body.dataset.statusPolls || 0) + 1);
    setText($("#updated"), `updated ${new Date().toLocaleTimeString("en-GB")}`);
  } catch (e) {
    setText($("#updated"), `csgen unreachable (${e.message}); retrying`);
  }
  setTimeout(pollStatus, STATUS_EVERY_MS);
}

async function pollReports() {
  if (hasStore && !document.hidden) {
    try {
      showReports(await getJson("/api/reports"));
      document.body.dataset.reportPolls = String(Number(document.body.dataset.reportPolls || 0) + 1);
    } catch (e) {
      const box = $("#report-error");
      box.hidden = false;
      setText(box, `Reports are not available: ${e.message}`);
    }
  }
  setTimeout(pollReports, hasStore ? REPORTS_EVERY_MS : STATUS_EVERY_MS);
}

setupCharts();
pollStatus().then(pollReports);
