#!/usr/bin/env bash
# Builds and tests the Swift package on Linux (a Swift 6 toolchain: `swift` on PATH, e.g. the
# swift:6.3 image, plus rustup's stable Rust): the generated bindings, the PelabelKit logic target
# and the XCTests (PelabelKitTests, and PelabelTests' scenario against the real library), all in
# Swift 6 language mode.
#
#   uniffi-bindings/swift/test-linux.sh [extra `swift test` arguments, e.g. --filter PelabelKitTests]
#
# Steps: build libpelabel_ffi.so and regenerate the bindings (refreshing the committed Swift and
# C header, uniffi-bindings/generate.sh); prepare the scenario the foreign-language tests share
# (model, packs, frames, expected labels: `cargo test -p pelabel-ffi --test foreign`, whose
# `committed_swift_is_current` also fails if the committed bindings drifted); then `swift test`
# with the library's directory on the linker and loader paths. Exit status: swift test's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

command -v swift >/dev/null || { echo "test-linux.sh: needs a Swift 6 toolchain (swift on PATH)" >&2; exit 1; }
command -v cargo >/dev/null || { echo "test-linux.sh: needs Rust (cargo on PATH)" >&2; exit 1; }
[ "$(uname -s)" = Linux ] || { echo "test-linux.sh: Linux only (on a Mac: build-xcframework.sh, then swift test)" >&2; exit 1; }
swift --version

t0=$(date +%s)
uniffi-bindings/generate.sh
if ! git diff --quiet -- uniffi-bindings/swift/Sources; then
    echo "test-linux.sh: note: the committed bindings changed (git diff uniffi-bindings/swift/Sources)" >&2
fi
# Prepares target/debug/ffi-scenario and checks the committed Swift and header are current.
cargo test --locked -p pelabel-ffi --test foreign -- committed_swift_is_current
lib="$root/target/debug"
[ -f "$lib/libpelabel_ffi.so" ] || { echo "test-linux.sh: $lib/libpelabel_ffi.so missing" >&2; exit 1; }
echo "test-linux.sh: library and scenario ready in $(($(date +%s) - t0)) s"

cd "$here"
export PELABEL_SCENARIO="$lib/ffi-scenario/scenario.properties"
export PELABEL_REQUIRE_SCENARIO=1
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
swift test -Xlinker -L"$lib" -Xlinker -rpath -Xlinker "$lib" "$@"
