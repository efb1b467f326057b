// Writes N rows of mockingbird's "Web Analytics Starter Kit" preset as JSON lines on
// stdout, as fast as mockingbird makes them: the peer generator of
// scripts/bench-generate.sh. Usage: node mockingbird-rows.mjs N
//
// mockingbird's own generate() sends batches to a service and sleeps between them to
// hold its events-per-second target; this drives the same row generator
// (BaseGenerator.generateRow) in a loop instead, so the figure is its generation speed.
import { LogGenerator, presetSchemas } from "@tinybirdco/mockingbird";

const total = Number.parseInt(process.argv[2] ?? "", 10);
if (!Number.isSafeInteger(total) || total < 1) {
  console.error("usage: node mockingbird-rows.mjs N (a positive number of rows)");
  process.exit(2);
}
const generator = new LogGenerator({
  schema: presetSchemas["Web Analytics Starter Kit"],
  eps: 1,
  limit: total,
});

const BATCH = 10_000;
let left = total;
function write() {
  while (left > 0) {
    const n = Math.min(BATCH, left);
    const lines = new Array(n);
    for (let i = 0; i < n; i++) {
      lines[i] = JSON.stringify(generator.generateRow());
    }
    left -= n;
    if (!process.stdout.write(lines.join("\n") + "\n")) {
      process.stdout.once("drain", write);
      return;
    }
  }
}
write();
