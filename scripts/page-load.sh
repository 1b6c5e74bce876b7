#!/usr/bin/env bash
# How fast an HTML report loads in headless Chromium (BENCHMARKS.md, "The HTML report's
# page"): the time from navigation to the load event over several loads in one browser,
# the same in a new browser each time, and the whole `chromium --dump-dom` run.
#
#   scripts/page-load.sh [PAGE.html] [RUNS]
#
# Without PAGE it measures the full-size page: the results of the benchmark's synthetic
# run (`cargo bench --bench full_run` writes them under target/liveclin-bench/; 1,407
# cases) reported by a release build into target/liveclin-bench/report.html. RUNS is the
# number of warm loads (default 7). Without Chromium (chromium, chromium-browser or
# google-chrome on PATH, or $CHROMIUM) it prints "skipped" and exits 0. The driver
# (playwright-core, from npm) is installed under target/browser-tools/ on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
if [[ $# -gt 2 ]]; then
    echo "usage: $0 [PAGE.html] [RUNS]" >&2
    exit 2
fi
# shellcheck source=browser/lib.sh
source "$here/browser/lib.sh"
browser_setup

page=${1:-}
if [[ -z $page ]]; then
    bench="$root/target/liveclin-bench"
    results="$bench/results/results-0ms-0.json"
    if [[ ! -f $results ]]; then
        echo "no full-size results at $results: run 'cargo bench --bench full_run' first" >&2
        exit 2
    fi
    (cd "$root" && cargo build --quiet --release --bin liveclin)
    page="$bench/report.html"
    "$root/target/release/liveclin" report "$results" --data-dir "$bench" "--html=$page" \
        >/dev/null 2>"$bench/report.stderr" || {
        cat "$bench/report.stderr" >&2
        exit 1
    }
elif [[ ! -f $page ]]; then
    echo "no such file: $page" >&2
    exit 2
fi
node "$here/browser/page-load.cjs" "$page" "${2:-7}"
