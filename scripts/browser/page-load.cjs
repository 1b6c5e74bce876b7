// node page-load.cjs PAGE.html [RUNS] (run by scripts/page-load.sh): how fast PAGE.html
// loads in headless Chromium, three ways:
//   warm: RUNS loads, each in a new tab of one browser: navigation start to the end of the
//         load event, from the page's own Navigation Timing, with its phases;
//   cold: 3 loads, each in a new browser with a new profile, the same measure;
//   dump-dom: 3 whole runs of `chromium --headless --dump-dom PAGE` (start, load, the DOM
//         written out, exit), wall time.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const { launch, fileUrl } = require("./launch.cjs");

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const ms = (values) => values.map((t) => t.toFixed(0)).join(" ");

/** Navigation start to the end of the load event, with the phases before it. */
function timing(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return {
      read: nav.responseEnd - nav.startTime,
      parsed: nav.domInteractive - nav.startTime,
      load: nav.loadEventEnd - nav.startTime,
      elements: document.getElementsByTagName("*").length,
    };
  });
}

async function main() {
  const [file, runsText] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node page-load.cjs PAGE.html [RUNS]");
    process.exit(2);
  }
  const runs = Number(runsText || 7);
  const url = fileUrl(file);
  const errors = [];

  // Warm: one browser, a new tab per load.
  const warm = [];
  {
    const { context, close } = await launch();
    try {
      const first = await context.newPage();
      await first.goto("about:blank");
      await first.close();
      for (let i = 0; i < runs; i += 1) {
        const page = await context.newPage();
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.goto(url, { waitUntil: "load", timeout: 120000 });
        warm.push(await timing(page));
        await page.close();
      }
    } finally {
      await close();
    }
  }
  // Cold: a new browser per load.
  const cold = [];
  for (let i = 0; i < 3; i += 1) {
    const { context, close } = await launch();
    try {
      const page = context.pages()[0] || (await context.newPage());
      await page.goto(url, { waitUntil: "load", timeout: 120000 });
      cold.push((await timing(page)).load);
    } finally {
      await close();
    }
  }
  // The whole --dump-dom run.
  const dump = [];
  for (let i = 0; i < 3; i += 1) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "liveclin-chromium-"));
    const started = process.hrtime.bigint();
    const run = spawnSync(
      process.env.BROWSER || "/usr/bin/chromium",
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        `--user-data-dir=${profile}`, "--dump-dom", url,
      ],
      { stdio: ["ignore", "ignore", "ignore"], timeout: 120000 }
    );
    dump.push(Number(process.hrtime.bigint() - started) / 1e6);
    fs.rmSync(profile, { recursive: true, force: true });
    if (run.status !== 0) {
      errors.push(`chromium --dump-dom exited with ${run.status}`);
    }
  }

  const mb = fs.statSync(file).size / 1e6;
  const loads = warm.map((t) => t.load);
  console.log(`page: ${file} (${mb.toFixed(2)} MB, ${warm[0].elements} elements)`);
  console.log(`warm, load event, ms (${runs} loads): ${ms(loads)}; median ${median(loads).toFixed(0)}`);
  console.log(
    `warm, medians, ms from navigation start: file read ${median(warm.map((t) => t.read)).toFixed(0)}, ` +
      `parsed ${median(warm.map((t) => t.parsed)).toFixed(0)}, load event done ${median(loads).toFixed(0)}`
  );
  console.log(`cold (new browser each), load event, ms: ${ms(cold)}; median ${median(cold).toFixed(0)}`);
  console.log(`chromium --dump-dom, whole run, s: ${dump.map((t) => (t / 1000).toFixed(2)).join(" ")}`);
  if (errors.length) {
    console.log(`errors: ${errors.join("; ")}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
