#!/usr/bin/env bash
# Browser checks of the `report --html` page: runs the demo, writes its page and a
# variant's (more cases, a failure and its skipped questions, a case not run, readings
# that differ), opens them in headless Chromium and exercises the chart order, the
# filters, the search, the transcripts and "Open the first 50 shown", checking the
# results against the results files; fails on any JavaScript error on the page.
#
#   scripts/check-page.sh
#
# Needs Chromium (chromium, chromium-browser or google-chrome on PATH, or $CHROMIUM) and
# Node.js with npm; without them it prints "skipped" and exits 0. The driver
# (playwright-core, from npm) is installed under target/browser-tools/ on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=browser/lib.sh
source "$here/browser/lib.sh"
browser_setup

cd "$root"
cargo build --quiet --bin liveclin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node "$here/browser/check-page.cjs" "$root/target/debug/liveclin" "$root" "$work"
