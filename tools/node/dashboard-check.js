#!/usr/bin/env node
// Checks csgen's /dashboard in headless Chromium (Debian's, through playwright-core,
// which downloads no browser), and takes a screenshot.
//
//   node tools/node/dashboard-check.js BASE_URL SCREENSHOT.png
//
// BASE_URL is a running csgen (serve with a lake sink, or demo) that is generating
// and has committed some events to its lake; CS_TOKEN is its control token. The check
// fails (exit 1, reason on stderr) unless, within the deadlines:
// - the page loads with no console error, no page error and no failed request;
// - every chart is drawn with data (a non-zero value in one of its datasets);
// - the "generated" counter increases;
// - after the script makes the lake commit (POST /stop then /start), the reports
//   shown on the page grow: the charts refresh while data flows.
// On success it prints one JSON line of what it saw, for the calling test.
"use strict";

const { chromium } = require("playwright-core");

const [base, screenshot] = process.argv.slice(2);
if (!base || !screenshot) {
  console.error("usage: dashboard-check.js BASE_URL SCREENSHOT.png");
  process.exit(2);
}
const token = process.env.CS_TOKEN || "";
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const STEP_MS = 30000;

// Flags that keep Chromium off the network (this machine has none) and quiet.
const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

async function control(path) {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
}

// What the page shows: the counters, the reports' event total, each chart's points.
function observe() {
  const num = (el) => Number((el?.textContent || "").replace(/[^0-9.]/g, "")) || 0;
  const charts = {};
  for (const fig of document.querySelectorAll("figure[data-chart]")) {
    const chart = Chart.getChart(fig.querySelector("canvas"));
    const values = chart ? chart.data.datasets.flatMap((d) => d.data) : [];
    charts[fig.dataset.chart] = {
      points: Number(fig.dataset.points || 0),
      nonzero: values.filter((v) => Number(v) > 0).length,
    };
  }
  return {
    generated: num(document.querySelector('[data-counter="generated"]')),
    lakeEvents: num(document.querySelector('[data-counter="committed_events"]')),
    reportedEvents: num(document.querySelector('[data-report="events"]')),
    reportPolls: Number(document.body.dataset.reportPolls || 0),
    charts,
  };
}

async function until(page, what, test) {
  const deadline = Date.now() + STEP_MS;
  let seen;
  while (Date.now() < deadline) {
    seen = await page.evaluate(observe);
    if (test(seen)) return seen;
    await page.waitForTimeout(250);
  }
  throw new Error(`timed out waiting for ${what}; the page shows ${JSON.stringify(seen)}`);
}

async function main() {
  const browser = await chromium.launch({ executablePath, headless: true, args: ARGS, timeout: STEP_MS });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));

    await page.goto(`${base}/dashboard`, { waitUntil: "load", timeout: STEP_MS });
    const drawn = await until(page, "every chart to show data", (s) =>
      Object.keys(s.charts).length > 1 && Object.values(s.charts).every((c) => c.nonzero > 0));
    const counting = await until(page, "the generated counter to increase", (s) => s.generated > drawn.generated);

    // Make the lake commit what is buffered; the reports must follow.
    await control("/stop");
    await control("/start");
    const refreshed = await until(page, "the reports to grow after a lake commit",
      (s) => s.reportedEvents > drawn.reportedEvents);

    await page.screenshot({ path: screenshot, fullPage: true });
    const offsite = requests.filter((u) => !u.startsWith(base) && !u.startsWith("data:"));
    if (offsite.length) problems.push(`requests off csgen: ${offsite.join(", ")}`);
    if (problems.length) throw new Error(problems.join("\n"));
    console.log(JSON.stringify({
      chromium: browser.version(),
      charts: refreshed.charts,
      generated: [drawn.generated, counting.generated],
      reported_events: [drawn.reportedEvents, refreshed.reportedEvents],
      lake_events: refreshed.lakeEvents,
      requests: requests.length,
    }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`dashboard check failed: ${e.message}`);
  process.exit(1);
});
