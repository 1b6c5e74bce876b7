// node page-load.cjs PAGE.html [RUNS]: opens PAGE.html RUNS times (default 7), each in a
// new tab, and prints the time to the load event (navigation start to loadEventEnd, from
// the page's own Navigation Timing), the median, and the page's size and element count.
"use strict";
const fs = require("fs");
const { launch, fileUrl } = require("./launch.cjs");

async function main() {
  const [file, runsText] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node page-load.cjs PAGE.html [RUNS]");
    process.exit(2);
  }
  const runs = Number(runsText || 7);
  const url = fileUrl(file);
  const { context, close } = await launch();
  const times = [];
  let elements = 0;
  const errors = [];
  try {
    // One load to warm the browser itself up (its first tab, its caches of code), not timed.
    const warm = await context.newPage();
    await warm.goto("about:blank");
    await warm.close();
    for (let i = 0; i < runs; i += 1) {
      const page = await context.newPage();
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(url, { waitUntil: "load", timeout: 120000 });
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        return nav.loadEventEnd - nav.startTime;
      });
      elements = await page.evaluate(() => document.getElementsByTagName("*").length);
      times.push(t);
      await page.close();
    }
  } finally {
    await close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const mb = fs.statSync(file).size / 1e6;
  console.log(`page: ${file} (${mb.toFixed(2)} MB, ${elements} elements)`);
  console.log(`load event, ms, ${runs} runs: ${times.map((t) => t.toFixed(0)).join(" ")}`);
  console.log(`median ${median.toFixed(0)} ms, min ${sorted[0].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`);
  if (errors.length) {
    console.log(`JS errors: ${errors.join("; ")}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
