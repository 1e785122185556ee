//! `uniffi-bindgen` pinned to the workspace's UniFFI: generated bindings must come from the same
//! UniFFI version as the scaffolding compiled into `pelabel-ffi`, or the checksums disagree at
//! load time. Run it through `uniffi-bindings/generate.sh`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
