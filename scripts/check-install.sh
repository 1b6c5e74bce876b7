#!/usr/bin/env bash
# Checks the two one-line installs the README gives a researcher, as a user would run them:
#   1. `cargo install --path .`, then `liveclin demo` in an empty directory;
#   2. the Python wheel (maturin, `bindings = "bin"`) installed with pip into a fresh venv,
#      then `liveclin demo` from the venv in an empty directory.
# An installed binary has no checkout beside it, so this is what proves that the demo
# config is really built in. Both routes share one release build in target/ (cargo install
# and maturin build the same profile there), so the second costs seconds.
#
# Needs only the Rust toolchain and CPython 3 with pip; maturin comes from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Makes a venv with pip in it. Debian's python3 has no ensurepip unless python3-venv is
# installed: then the venv is made without pip, and pip is installed into it from its own
# wheel, fetched from PyPI by the system pip (a download, which PEP 668 allows).
make_venv() {
    local dir=$1
    if python3 -m venv "$dir" 2>/dev/null; then
        return
    fi
    rm -rf "$dir"
    python3 -m venv --without-pip "$dir"
    python3 -m pip download --quiet --no-deps --dest "$dir/bootstrap" pip
    local wheel
    wheel=$(ls "$dir"/bootstrap/pip-*.whl)
    "$dir/bin/python" "$wheel/pip" install --quiet --no-index "$wheel"
}

# Runs `<binary> demo` in a new empty directory and checks that it succeeded and wrote
# its results there; the output is kept only to be shown on a failure.
check_demo() {
    local route=$1 binary=$2
    local dir="$work/run-$route"
    mkdir "$dir"
    if ! (cd "$dir" && "$binary" demo >"$work/$route.log" 2>&1); then
        cat "$work/$route.log"
        echo "check-install: $route: \`liveclin demo\` failed in an empty directory" >&2
        exit 1
    fi
    if ! grep -q '"complete": true' "$dir/results/demo-mock_demo.json"; then
        echo "check-install: $route: no complete results/demo-mock_demo.json" >&2
        exit 1
    fi
    echo "check-install: $route: \`liveclin demo\` ran in an empty directory and wrote results/"
}

# 1. cargo install; --target-dir keeps the build in target/ for maturin to reuse.
cargo install --quiet --locked --path . --root "$work/cargo" --target-dir target
check_demo cargo "$work/cargo/bin/liveclin"

# 2. The wheel. maturin's own venv is kept in target/ so that a second run skips it.
tools=target/check-install-tools
[ -x "$tools/bin/maturin" ] || { rm -rf "$tools"; make_venv "$tools"; }
"$tools/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.5,<2"
# A wheel of an earlier version left in target/wheels would make the glob below ambiguous.
rm -f target/wheels/liveclin-*.whl
"$tools/bin/maturin" build --release --locked --quiet
make_venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check target/wheels/liveclin-*.whl
check_demo wheel "$work/venv/bin/liveclin"
