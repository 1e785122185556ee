// The app's label-pack settings: its release key and where packs live. The store itself (loading,
// verification, saving updates, the pack to start with) is PelabelKit.PackStore, tested on Linux.

import Foundation
import PelabelKit

/// The 64 hex characters of `release.key.pub` (`pelabel keygen keys/release.key`). Replace with
/// your own; the bundled packs must be compiled with `--sign keys/release.key`.
///
/// The all-zero placeholder is a weak (small-order) Ed25519 key: signatures that "verify" under
/// it can be forged for any pack. `ReleaseKey` refuses it (`PackStoreError.placeholderKey`) and no
/// pack loads until it is replaced; the status line says so.
let releasePublicKeyHex = "0000000000000000000000000000000000000000000000000000000000000000"

extension PackStore {
    /// Bundled packs (`Packs/*.pack`, a folder reference) and updates in Application Support.
    static func app() throws -> PackStore {
        let support = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        return PackStore(
            bundledDirectory: Bundle.main.url(forResource: "Packs", withExtension: nil),
            updatesDirectory: support.appendingPathComponent("label-packs", isDirectory: true),
            key: try ReleaseKey(hex: releasePublicKeyHex)
        )
    }

    /// The bundled model: the output of `pelabel split` copied into the app as a folder reference.
    static var modelDirectory: URL? { Bundle.main.url(forResource: "Model", withExtension: nil) }
}
