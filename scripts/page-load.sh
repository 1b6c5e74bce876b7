#!/usr/bin/env bash
# How fast an HTML report loads in headless Chromium: the time to the load event, over
# several runs, with the median (BENCHMARKS.md, "The HTML report's page weight").
#
#   scripts/page-load.sh PAGE.html [RUNS]
#
# Without Chromium (chromium, chromium-browser or google-chrome on PATH, or $CHROMIUM) it
# prints "skipped" and exits 0. The driver (playwright-core, from npm) is installed under
# target/browser-tools/ on first use.
set -euo pipefail
if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 PAGE.html [RUNS]" >&2
    exit 2
fi
if [[ ! -f $1 ]]; then
    echo "no such file: $1" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=browser/lib.sh
source "$here/browser/lib.sh"
browser_setup
exec node "$here/browser/page-load.cjs" "$@"
