#!/usr/bin/env bash
# Builds the pelabel-ffi library and generates its Swift, Kotlin and Python bindings into
# target/bindings/{swift,kotlin,python}, with the workspace's own uniffi-bindgen (the same UniFFI
# version as the scaffolding compiled into the library).
#
#   uniffi-bindings/generate.sh              # dev profile (dependencies optimised)
#   uniffi-bindings/generate.sh --release    # the size-optimised release-ffi profile
#
# It also refreshes uniffi-bindings/swift/Sources/Pelabel/pelabel_ffi.swift and
# Sources/pelabel_ffiFFI/pelabel_ffiFFI.h, the generated Swift and C header committed for the Swift
# package (a test fails when either differs from what UniFFI generates).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=dev
dir=debug
if [ "${1:-}" = "--release" ]; then
    profile=release-ffi
    dir=release-ffi
fi
# One invocation for both, so they share one feature resolution (and one set of artifacts).
cargo build --locked -p pelabel-ffi -p uniffi-bindgen --profile "$profile"

case "$(uname -s)" in
    Darwin) lib="target/$dir/libpelabel_ffi.dylib" ;;
    *) lib="target/$dir/libpelabel_ffi.so" ;;
esac
out=target/bindings
rm -rf "$out"
for language in swift kotlin python; do
    "target/$dir/uniffi-bindgen" generate --library "$lib" --language "$language" --no-format --metadata-no-deps \
        --out-dir "$out/$language"
done
# The Python module and the Kotlin (JNA) code load the library by name from beside them / the
# library path; put a copy beside the Python module.
cp "$lib" "$out/python/"
cp "$out/swift/pelabel_ffi.swift" uniffi-bindings/swift/Sources/Pelabel/pelabel_ffi.swift
cp "$out/swift/pelabel_ffiFFI.h" uniffi-bindings/swift/Sources/pelabel_ffiFFI/pelabel_ffiFFI.h
echo "bindings in $out:"
find "$out" -type f | sort
