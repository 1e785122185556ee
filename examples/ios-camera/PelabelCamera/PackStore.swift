// Label packs: the ones bundled with the app (Packs/*.pack), and updates downloaded at run time.
//
// Every pack is loaded with the app's release public key, so an unsigned pack, one signed by
// another key, or one modified after signing is refused with a typed error before it is used.
// A verified update is saved to Application Support so the next launch starts with it.

import Foundation
import Pelabel

/// The 64 hex characters of `release.key.pub` (`pelabel keygen keys/release.key`). Replace with
/// your own; the bundled packs must be compiled with `--sign keys/release.key`.
///
/// The all-zero placeholder is a weak (small-order) Ed25519 key: signatures that "verify" under
/// it can be forged for any pack in a few tries, so pelabel refuses it (`PelabelError.InvalidKey`)
/// and no pack loads until it is replaced. Debug builds stop right here with the instructions.
let releasePublicKeyHex = "0000000000000000000000000000000000000000000000000000000000000000"

/// `releasePublicKeyHex`, after a loud stop in debug builds when the placeholder was never replaced.
private func releaseKey() -> String {
    if releasePublicKeyHex.allSatisfy({ $0 == "0" }) {
        assertionFailure("""
            releasePublicKeyHex in PackStore.swift is still the all-zero placeholder. Run \
            `pelabel keygen keys/release.key`, sign the packs with `--sign keys/release.key`, and paste \
            the contents of keys/release.key.pub there. (pelabel refuses this key: it is weak, anyone \
            could forge a pack signature for it.)
            """)
    }
    return releasePublicKeyHex
}

struct PackEntry: Identifiable {
    let id: String
    let pack: LabelPack
    let info: PackInfo
}

struct PackStore {
    /// The bundled model: the output of `pelabel split` copied into the app as a folder reference.
    var modelDirectory: URL {
        Bundle.main.url(forResource: "Model", withExtension: nil)!
    }

    private var updatesDirectory: URL {
        let base = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        return base.appendingPathComponent("label-packs", isDirectory: true)
    }

    /// Bundled packs, then previously downloaded updates.
    func bundledPacks() throws -> [PackEntry] {
        let bundled = Bundle.main.urls(forResourcesWithExtension: "pack", subdirectory: "Packs") ?? []
        let saved = (try? FileManager.default.contentsOfDirectory(at: updatesDirectory, includingPropertiesForKeys: nil)) ?? []
        return try (bundled.sorted { $0.path < $1.path } + saved.filter { $0.pathExtension == "pack" }).map { url in
            let pack = try LabelPack.load(path: url.path, publicKeyHex: releaseKey())
            let info = try pack.info()
            return PackEntry(id: "\(info.name)@\(info.version)", pack: pack, info: info)
        }
    }

    /// Downloads a pack, verifies signature, checksum and model, and saves it.
    func download(_ url: URL, for modelFingerprint: String) async throws -> PackEntry {
        let (data, response) = try await URLSession.shared.data(from: url)
        if let http = response as? HTTPURLResponse, http.statusCode != 200 {
            throw URLError(.badServerResponse)
        }
        // Throws PackSignatureInvalid / PackUnsigned / PackTampered / PackCorrupt, and
        // InvalidKey while releasePublicKeyHex is the placeholder.
        let pack = try LabelPack.fromBytes(bytes: data, publicKeyHex: releaseKey())
        let info = try pack.info()
        guard info.modelFingerprint == modelFingerprint else {
            throw PelabelError.ModelMismatch(reason: "pack for model \(info.modelFingerprint)")
        }
        try FileManager.default.createDirectory(at: updatesDirectory, withIntermediateDirectories: true)
        let file = updatesDirectory.appendingPathComponent("\(info.name)-\(info.version).pack")
        try data.write(to: file, options: .atomic)
        return PackEntry(id: "\(info.name)@\(info.version)", pack: pack, info: info)
    }
}
