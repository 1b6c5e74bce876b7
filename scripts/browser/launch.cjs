// Starts headless Chromium ($BROWSER, else /usr/bin/chromium) through playwright-core, with
// the flags this machine needs: no sandbox (root), no GPU, and no background networking
// (the network is closed), in a new empty profile removed at the end.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "liveclin-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.BROWSER || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
    ],
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/** A file path as a file:// URL. */
function fileUrl(file) {
  return require("url").pathToFileURL(path.resolve(file)).href;
}

module.exports = { launch, fileUrl };
