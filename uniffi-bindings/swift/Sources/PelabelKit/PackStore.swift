// Label packs of an app: the ones bundled with it and updates downloaded at run time, each
// verified against the app's release key before use. No UIKit or AVFoundation: tested on Linux.
//
// - A pack that fails to load (unsigned, another signer, tampered, damaged, unreadable) is
//   reported in `PackCatalog.failures` with where it came from; the other packs still load.
// - A verified update is saved atomically to `updatesDirectory`, and the pack in use is
//   remembered there (`selection`), so the next launch starts with it.
// - The release key is checked first: the all-zero placeholder of the example is refused
//   (`PackStoreError.placeholderKey`), before any pack is read.

import Foundation
import Pelabel

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where a pack came from.
public enum PackSource: String, Sendable, Equatable {
    /// Shipped inside the app.
    case bundled
    /// Downloaded and saved by `PackStore.save(update:)`.
    case update
}

/// A loaded, verified pack.
public struct PackEntry: Identifiable, Sendable {
    /// `name@version`: unique within a catalog.
    public let id: String
    public let pack: LabelPack
    public let info: PackInfo
    public let source: PackSource
    public let file: URL
}

/// A pack file that could not be used, and why.
public struct PackFailure: Sendable, CustomStringConvertible {
    public let file: URL
    public let source: PackSource
    /// pelabel's error, when it was one (signature, checksum, format, missing file…).
    public let pelabelError: PelabelError?
    /// The status line for it (`statusText(for:context:)`).
    public let message: String

    init(file: URL, source: PackSource, error: any Error) {
        self.file = file
        self.source = source
        self.pelabelError = error as? PelabelError
        self.message = statusText(for: error, context: .loading(source))
    }

    public var description: String { "\(file.lastPathComponent): \(message)" }
}

/// Every pack that loaded (no duplicate ids) and every one that did not.
public struct PackCatalog: Sendable {
    public var packs: [PackEntry]
    public var failures: [PackFailure]
}

/// Failures of the store itself (pelabel's own arrive as `PelabelError`).
public enum PackStoreError: Error, Equatable, Sendable {
    /// The release key is still the all-zero placeholder: no pack is loaded until it is replaced.
    case placeholderKey
    /// The release key is not 64 hex characters.
    case malformedKey
    /// The server answered with this HTTP status instead of 200.
    case httpStatus(Int)
    /// The update is for another model than the app's.
    case wrongModel(packModel: String, appModel: String)
}

/// The app's Ed25519 release public key, checked before use.
public struct ReleaseKey: Sendable, Equatable {
    public let hex: String

    /// Refuses a key that is not 64 hex characters, and the all-zero placeholder (a weak key:
    /// signatures under it can be forged; pelabel refuses it too, with `InvalidKey`).
    public init(hex: String) throws {
        let hex = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else { throw PackStoreError.malformedKey }
        guard !hex.allSatisfy({ $0 == "0" }) else { throw PackStoreError.placeholderKey }
        self.hex = hex
    }
}

/// Pack versions compared component by component as numbers ("1.10.0" > "1.9.2"); a
/// non-numeric component compares as text.
public func versionIsNewer(_ a: String, than b: String) -> Bool {
    let x = a.split(separator: "."), y = b.split(separator: ".")
    for i in 0..<max(x.count, y.count) {
        let p = i < x.count ? String(x[i]) : "0", q = i < y.count ? String(y[i]) : "0"
        if let m = Int(p), let n = Int(q) {
            if m != n { return m > n }
        } else if p != q {
            return p > q
        }
    }
    return false
}

public struct PackStore: Sendable {
    /// The folder of bundled `*.pack` files (`nil`: none).
    public let bundledDirectory: URL?
    /// Where updates and the remembered selection are saved (created when first needed).
    public let updatesDirectory: URL
    public let key: ReleaseKey

    public init(bundledDirectory: URL?, updatesDirectory: URL, key: ReleaseKey) {
        self.bundledDirectory = bundledDirectory
        self.updatesDirectory = updatesDirectory
        self.key = key
    }

    private var selectionFile: URL { updatesDirectory.appendingPathComponent("selection") }

    private func packFiles(in directory: URL?) -> [URL] {
        guard let directory,
              let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        else { return [] }
        return files.filter { $0.pathExtension == "pack" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Loads every bundled pack, then every saved update; a file that fails is a failure, not an
    /// error. An update with the id of a pack already loaded is skipped (same name and version).
    public func loadAll() -> PackCatalog {
        var catalog = PackCatalog(packs: [], failures: [])
        let files = packFiles(in: bundledDirectory).map { ($0, PackSource.bundled) }
            + packFiles(in: updatesDirectory).map { ($0, PackSource.update) }
        for (file, source) in files {
            do {
                let entry = try load(file, source: source)
                if !catalog.packs.contains(where: { $0.id == entry.id }) { catalog.packs.append(entry) }
            } catch {
                catalog.failures.append(PackFailure(file: file, source: source, error: error))
            }
        }
        return catalog
    }

    private func load(_ file: URL, source: PackSource) throws -> PackEntry {
        let pack = try LabelPack.load(path: file.path, publicKeyHex: key.hex)
        let info = try pack.info()
        return PackEntry(id: "\(info.name)@\(info.version)", pack: pack, info: info, source: source, file: file)
    }

    /// The pack to start with among `packs` for a model: the remembered selection when it is there
    /// and made for the model, else the newest update for it, else the first bundled pack for it.
    public func startEntry(_ packs: [PackEntry], modelFingerprint: String) -> PackEntry? {
        let usable = packs.filter { $0.info.modelFingerprint == modelFingerprint }
        if let id = try? String(contentsOf: selectionFile, encoding: .utf8),
           let remembered = usable.first(where: { $0.id == id.trimmingCharacters(in: .whitespacesAndNewlines) }) {
            return remembered
        }
        let updates = usable.filter { $0.source == .update }
        if let newest = updates.max(by: { versionIsNewer($1.info.version, than: $0.info.version) }) {
            return newest
        }
        return usable.first
    }

    /// Remembers the pack in use for the next launch.
    public func remember(_ entry: PackEntry) throws {
        try FileManager.default.createDirectory(at: updatesDirectory, withIntermediateDirectories: true)
        try Data(entry.id.utf8).write(to: selectionFile, options: .atomic)
    }

    /// Verifies downloaded pack bytes (signature, checksum, format, model) and saves them
    /// atomically as `name-version.pack`; nothing is written for a pack that fails.
    public func save(update data: Data, modelFingerprint: String) throws -> PackEntry {
        // PackSignatureInvalid / PackUnsigned / PackTampered / PackCorrupt.
        let pack = try LabelPack.fromBytes(bytes: data, publicKeyHex: key.hex)
        let info = try pack.info()
        guard info.modelFingerprint == modelFingerprint else {
            throw PackStoreError.wrongModel(packModel: info.modelFingerprint, appModel: modelFingerprint)
        }
        try FileManager.default.createDirectory(at: updatesDirectory, withIntermediateDirectories: true)
        let safe = "\(info.name)-\(info.version)".map { $0.isLetter || $0.isNumber || "-._".contains($0) ? $0 : "_" }
        let file = updatesDirectory.appendingPathComponent(String(safe) + ".pack")
        try data.write(to: file, options: .atomic)
        return PackEntry(id: "\(info.name)@\(info.version)", pack: pack, info: info, source: .update, file: file)
    }

    #if compiler(>=6.2)
    /// Downloads an update and `save`s it. Runs off the caller's actor (`@concurrent`: under Swift
    /// 6.2's approachable concurrency a plain `nonisolated async` method would run on the main
    /// actor when called from it).
    @concurrent
    public func download(_ url: URL, modelFingerprint: String) async throws -> PackEntry {
        try await fetchAndSave(url, modelFingerprint: modelFingerprint)
    }
    #else
    /// Downloads an update and `save`s it, off the caller's actor (Swift 6.0/6.1:
    /// `nonisolated async` functions leave the caller's actor).
    public func download(_ url: URL, modelFingerprint: String) async throws -> PackEntry {
        try await fetchAndSave(url, modelFingerprint: modelFingerprint)
    }
    #endif

    private func fetchAndSave(_ url: URL, modelFingerprint: String) async throws -> PackEntry {
        // dataTask + continuation: the async `data(from:)` is missing from older Linux Foundations.
        let data: Data = try await withCheckedThrowingContinuation { done in
            URLSession.shared.dataTask(with: url) { data, response, error in
                if let error {
                    done.resume(throwing: error)
                } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                    done.resume(throwing: PackStoreError.httpStatus(http.statusCode))
                } else {
                    done.resume(returning: data ?? Data())
                }
            }.resume()
        }
        return try save(update: data, modelFingerprint: modelFingerprint)
    }
}
