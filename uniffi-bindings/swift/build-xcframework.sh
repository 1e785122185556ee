#!/usr/bin/env bash
# Builds PelabelFFI.xcframework for the Swift package (macOS with Xcode and rustup):
#   - the static library for iOS devices (aarch64-apple-ios),
#   - one for the iOS simulator (aarch64-apple-ios-sim + x86_64-apple-ios, joined with lipo),
#   - one for macOS (aarch64-apple-darwin + x86_64-apple-darwin), so `swift test` runs on the Mac,
# each with the generated C header and module map, then refreshes the generated Swift.
#
#   uniffi-bindings/swift/build-xcframework.sh            # release-ffi profile (size-optimised)
#   PROFILE=dev uniffi-bindings/swift/build-xcframework.sh  # faster, for trying things out
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }
profile="${PROFILE:-release-ffi}"
dir="$profile"
[ "$profile" = dev ] && dir=debug
export IPHONEOS_DEPLOYMENT_TARGET=15.0 MACOSX_DEPLOYMENT_TARGET=12.0

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"
# Only the static library of each slice (pelabel-ffi's default features: the device build,
# uniffi-bindings/README.md): `cargo rustc --crate-type staticlib` replaces the crate's
# lib/staticlib/cdylib list for this build, so no dynamic library is linked for iOS. The same
# command for aarch64-apple-ios is checked on Linux by .ci/run (stage "iOS static library").
for t in "${targets[@]}"; do
    cargo rustc --locked -p pelabel-ffi --profile "$profile" --target "$t" --crate-type staticlib
done

# The bindings: generated from the host library with the workspace's own uniffi-bindgen.
cargo build --locked -p pelabel-ffi -p uniffi-bindgen --profile "$profile"
gen=target/bindings/swift
rm -rf "$gen"
"target/$dir/uniffi-bindgen" generate --library "target/$dir/libpelabel_ffi.dylib" --language swift \
    --no-format --metadata-no-deps --out-dir "$gen"
cp "$gen/pelabel_ffi.swift" "$here/Sources/Pelabel/pelabel_ffi.swift"

# One header directory for every slice: the C header and its module map (as module.modulemap,
# the name Xcode looks for), declaring the module pelabel_ffiFFI the Swift file imports.
work=target/xcframework
rm -rf "$work"
mkdir -p "$work/headers" "$work/ios" "$work/ios-sim" "$work/macos"
cp "$gen/pelabel_ffiFFI.h" "$work/headers/"
cp "$gen/pelabel_ffiFFI.modulemap" "$work/headers/module.modulemap"
lib() { echo "target/$1/$dir/libpelabel_ffi.a"; }
cp "$(lib aarch64-apple-ios)" "$work/ios/"
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$work/ios-sim/libpelabel_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$work/macos/libpelabel_ffi.a"

out="$here/PelabelFFI.xcframework"
rm -rf "$out"
xcodebuild -create-xcframework \
    -library "$work/ios/libpelabel_ffi.a" -headers "$work/headers" \
    -library "$work/ios-sim/libpelabel_ffi.a" -headers "$work/headers" \
    -library "$work/macos/libpelabel_ffi.a" -headers "$work/headers" \
    -output "$out"
du -sh "$out"/*/libpelabel_ffi.a
echo "built $out"
