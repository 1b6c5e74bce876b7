# Shared by scripts/page-load.sh and scripts/check-page.sh (sourced, not run): finds
# Chromium and installs the Node driver (playwright-core, from npm) once, under
# target/browser-tools/, so the checkout stays clean. After `browser_setup`, $BROWSER is
# Chromium's path and NODE_PATH lets the drivers in scripts/browser/ require the driver.
# Without Chromium (or Node) `browser_setup` prints "skipped" and exits 0.

PLAYWRIGHT_VERSION=1.64.1

browser_setup() {
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    BROWSER=${CHROMIUM:-}
    if [[ -z $BROWSER ]]; then
        for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
            if command -v "$candidate" >/dev/null 2>&1; then
                BROWSER=$(command -v "$candidate")
                break
            fi
        done
    fi
    if [[ -z $BROWSER || ! -x $BROWSER ]]; then
        echo "Chromium not found: skipped"
        exit 0
    fi
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "Node.js or npm not found: skipped"
        exit 0
    fi
    local tools="$root/target/browser-tools"
    if [[ ! -f $tools/node_modules/playwright-core/package.json ]] ||
        ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$tools/node_modules/playwright-core/package.json"; then
        mkdir -p "$tools"
        # Only the driver library: it drives the Chromium found above and downloads no browser.
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$tools" --no-save --no-audit \
            --no-fund --no-package-lock --silent "playwright-core@$PLAYWRIGHT_VERSION" >&2
    fi
    export NODE_PATH="$tools/node_modules"
    export BROWSER
}
