#!/usr/bin/env bash
# Screenshot of an HTML report (or any local HTML file) with headless Chromium.
#
#   scripts/screenshot.sh REPORT.html OUT.png [WIDTH] [HEIGHT]
#
# WIDTH and HEIGHT are the window size in CSS pixels (default 1200 x 2400); the PNG is
# that size. Without Chromium (chromium, chromium-browser or google-chrome on PATH, or
# $CHROMIUM) it prints "Chromium not found: skipped" on stderr and exits 0, so CI can
# call it anywhere.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 4 ]]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTH] [HEIGHT]" >&2
    exit 2
fi
report=$1
out=$2
width=${3:-1200}
height=${4:-2400}
for n in "$width" "$height"; do
    if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
        echo "WIDTH and HEIGHT must be positive whole numbers of pixels, not '$n'" >&2
        exit 2
    fi
done
if [[ ! -f $report ]]; then
    echo "no such file: $report" >&2
    exit 2
fi

browser=${CHROMIUM:-}
if [[ -z $browser ]]; then
    for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$candidate" >/dev/null 2>&1; then
            browser=$(command -v "$candidate")
            break
        fi
    done
fi
if [[ -z $browser ]]; then
    echo "Chromium not found: skipped" >&2
    exit 0
fi

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
out_dir=$(dirname "$out")
mkdir -p "$out_dir"
abs_out=$(cd "$out_dir" && pwd)/$(basename "$out")
# As a file:// URL: the characters that would end or change the path are escaped.
url=$abs_report
url=${url//%/%25}
url=${url// /%20}
url=${url//#/%23}
url=${url//\?/%3F}
# A profile of its own, so a running browser or a root user's profile does not interfere.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$profile" --no-first-run --no-default-browser-check \
    --window-size="$width,$height" --screenshot="$abs_out" "file://$url" \
    >/dev/null 2>"$profile/stderr" || {
    cat "$profile/stderr" >&2
    echo "Chromium failed" >&2
    exit 1
}
if [[ ! -s $abs_out ]]; then
    cat "$profile/stderr" >&2
    echo "Chromium wrote no screenshot" >&2
    exit 1
fi
echo "$abs_out (${width}x${height})"
