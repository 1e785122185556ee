// Tests of the app logic in PelabelKit: the pure functions always; the pack store against real
// packs from the bindings scenario (`cargo test -p pelabel-ffi --test foreign` prepares it;
// test-linux.sh sets PELABEL_SCENARIO and PELABEL_REQUIRE_SCENARIO).

import Foundation
import Pelabel
import PelabelKit
import XCTest

final class PlaneTests: XCTestCase {
    func testPlanesAreWrappedWithoutCopying() throws {
        var bytes = [UInt8](repeating: 0, count: 64 * 3)
        for i in bytes.indices { bytes[i] = UInt8(i % 251) }
        try bytes.withUnsafeBytes { raw in
            let plane = try XCTUnwrap(wrapPlane(base: raw.baseAddress, bytesPerRow: 64, rows: 3))
            XCTAssertEqual(plane.bytesPerRow, 64)
            XCTAssertEqual(plane.data.count, 192)
            XCTAssertEqual(Array(plane.data), bytes)
            plane.data.withUnsafeBytes { XCTAssertEqual($0.baseAddress, raw.baseAddress, "the camera's memory, not a copy") }
        }
    }

    func testBadPlanesAreRefused() {
        var byte: UInt8 = 0
        withUnsafeBytes(of: &byte) { raw in
            XCTAssertNil(wrapPlane(base: nil, bytesPerRow: 64, rows: 3))
            XCTAssertNil(wrapPlane(base: raw.baseAddress, bytesPerRow: 0, rows: 3))
            XCTAssertNil(wrapPlane(base: raw.baseAddress, bytesPerRow: 64, rows: 0))
            XCTAssertNil(wrapPlane(base: raw.baseAddress, bytesPerRow: -4, rows: 3))
            XCTAssertNil(wrapPlane(base: raw.baseAddress, bytesPerRow: Int(UInt32.max) + 1, rows: 1), "stride over UInt32")
            XCTAssertNil(wrapPlane(base: raw.baseAddress, bytesPerRow: Int(UInt32.max), rows: Int.max / 2), "size overflow")
        }
    }

    func testPixelFormatsAndMatrices() {
        XCTAssertEqual(CameraPixelFormat(fourCC: 0x3432_3066), .nv12(.full))
        XCTAssertEqual(CameraPixelFormat(fourCC: 0x3432_3076), .nv12(.video))
        XCTAssertEqual(CameraPixelFormat(fourCC: 0x4247_5241), .bgra)
        XCTAssertNil(CameraPixelFormat(fourCC: 0x7836_3234))  // 'x624' (10-bit): not read
        XCTAssertEqual(yuvMatrix(attachment: "ITU_R_601_4"), .bt601)
        XCTAssertEqual(yuvMatrix(attachment: "ITU_R_709_2"), .bt709)
        XCTAssertEqual(yuvMatrix(attachment: nil), .bt709)
        XCTAssertEqual(yuvMatrix(attachment: "ITU_R_2020"), .bt709)
    }
}

final class OrientationTests: XCTestCase {
    func testRotationAnglesMapToQuarterTurns() {
        let cases: [(Double, FrameOrientation)] = [
            (0, .up), (90, .right), (180, .down), (270, .left), (360, .up), (-90, .left), (450, .right),
            (44, .up), (46, .right), (-180, .down), (.nan, .up), (.infinity, .up), (1e300, .up), (-1e18 - 90, .left),
        ]
        for (degrees, want) in cases {
            XCTAssertEqual(frameOrientation(clockwiseDegrees: degrees), want, "\(degrees)°")
        }
    }

    func testFallbackAnglesForBothCameras() {
        XCTAssertEqual(frameOrientation(clockwiseDegrees: fallbackRotationDegrees(.portrait, frontCamera: false)), .right)
        XCTAssertEqual(frameOrientation(clockwiseDegrees: fallbackRotationDegrees(.landscapeLeft, frontCamera: false)), .up)
        XCTAssertEqual(frameOrientation(clockwiseDegrees: fallbackRotationDegrees(.landscapeRight, frontCamera: false)), .down)
        XCTAssertEqual(frameOrientation(clockwiseDegrees: fallbackRotationDegrees(.landscapeLeft, frontCamera: true)), .down)
        XCTAssertEqual(frameOrientation(clockwiseDegrees: fallbackRotationDegrees(.portraitUpsideDown, frontCamera: true)), .left)
        XCTAssertEqual(fallbackRotationDegrees(.faceUp, frontCamera: false), fallbackRotationDegrees(.portrait, frontCamera: false))
    }

    func testMirroringFollowsThePreview() {
        XCTAssertTrue(frameMirrored(frontCamera: true, connectionMirrorsVideo: false))
        XCTAssertFalse(frameMirrored(frontCamera: true, connectionMirrorsVideo: true), "buffers already mirrored")
        XCTAssertFalse(frameMirrored(frontCamera: false, connectionMirrorsVideo: false))
        XCTAssertTrue(frameMirrored(frontCamera: false, connectionMirrorsVideo: true))
    }
}

final class FormattingTests: XCTestCase {
    func testStatusSaysWhatFailedWhere() {
        let tampered = PelabelError.PackTampered(reason: "checksum")
        XCTAssertEqual(statusText(for: tampered, context: .loading(.bundled)), "bundled pack rejected: the file is damaged")
        XCTAssertEqual(statusText(for: tampered, context: .updating), "update rejected: the file is damaged")
        XCTAssertTrue(statusText(for: PackStoreError.placeholderKey, context: .loading(.bundled)).contains("placeholder"))
        XCTAssertTrue(statusText(for: PelabelError.InvalidKey(reason: "weak"), context: .updating).contains("release key"))
        XCTAssertEqual(statusText(for: PackStoreError.httpStatus(404), context: .updating), "update rejected: server answered HTTP 404")
        XCTAssertEqual(LabelLine(id: "a", name: "a cat", score: 0.8349).text, "a cat  0.83")
    }

    func testVersionsCompareAsNumbers() {
        XCTAssertTrue(versionIsNewer("1.10.0", than: "1.9.2"))
        XCTAssertFalse(versionIsNewer("1.2.0", than: "1.2"))
        XCTAssertTrue(versionIsNewer("2", than: "1.99.99"))
        XCTAssertFalse(versionIsNewer("1.0.0", than: "1.0.1"))
    }

    func testReleaseKeysAreChecked() throws {
        XCTAssertThrowsError(try ReleaseKey(hex: String(repeating: "0", count: 64))) {
            XCTAssertEqual($0 as? PackStoreError, .placeholderKey)
        }
        XCTAssertThrowsError(try ReleaseKey(hex: "abc")) { XCTAssertEqual($0 as? PackStoreError, .malformedKey) }
        XCTAssertThrowsError(try ReleaseKey(hex: String(repeating: "g", count: 64))) {
            XCTAssertEqual($0 as? PackStoreError, .malformedKey)
        }
        XCTAssertEqual(try ReleaseKey(hex: " " + String(repeating: "ab", count: 32) + "\n").hex, String(repeating: "ab", count: 32))
    }
}

final class PackStoreTests: XCTestCase {
    var p: [String: String] = [:]
    var dir: URL!

    override func setUpWithError() throws {
        guard let path = ProcessInfo.processInfo.environment["PELABEL_SCENARIO"] else {
            if ProcessInfo.processInfo.environment["PELABEL_REQUIRE_SCENARIO"] != nil {
                XCTFail("PELABEL_SCENARIO is not set")
            }
            throw XCTSkip("set PELABEL_SCENARIO to target/debug/ffi-scenario/scenario.properties")
        }
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            p[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pelabelkit-\(UUID().uuidString)")
        for sub in ["bundled", "updates"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    func file(_ key: String) -> URL { URL(fileURLWithPath: p[key]!) }

    func store() throws -> PackStore {
        PackStore(bundledDirectory: dir.appendingPathComponent("bundled"), updatesDirectory: dir.appendingPathComponent("updates"),
                  key: try ReleaseKey(hex: p["public_key_hex"]!))
    }

    func testOneBadPackDoesNotStopTheOthers() throws {
        let fm = FileManager.default
        try fm.copyItem(at: file("pack_signed"), to: dir.appendingPathComponent("bundled/a.pack"))
        try fm.copyItem(at: file("pack_tampered"), to: dir.appendingPathComponent("bundled/b.pack"))
        try fm.copyItem(at: file("pack_a"), to: dir.appendingPathComponent("updates/unsigned.pack"))
        try Data("not a pack".utf8).write(to: dir.appendingPathComponent("updates/junk.pack"))
        let catalog = try store().loadAll()
        XCTAssertEqual(catalog.packs.map(\.source), [.bundled])
        XCTAssertEqual(catalog.packs.first?.info.name, p["pack_a_name"])
        XCTAssertEqual(catalog.failures.count, 3, "\(catalog.failures)")
        let tampered = try XCTUnwrap(catalog.failures.first { $0.file.lastPathComponent == "b.pack" })
        XCTAssertEqual(tampered.source, .bundled)
        XCTAssertTrue(tampered.message.hasPrefix("bundled pack rejected"), tampered.message)
        let unsigned = try XCTUnwrap(catalog.failures.first { $0.file.lastPathComponent == "unsigned.pack" })
        guard case .PackUnsigned? = unsigned.pelabelError else { return XCTFail("\(unsigned)") }
    }

    func testASavedUpdateIsUsedAtTheNextLaunch() throws {
        let store = try store()
        let fingerprint = try LabelPack.load(path: p["pack_signed"]!, publicKeyHex: nil).info().modelFingerprint
        XCTAssertNil(store.startEntry(store.loadAll().packs, modelFingerprint: fingerprint), "nothing yet")
        let saved = try store.save(update: try Data(contentsOf: file("pack_signed")), modelFingerprint: fingerprint)
        XCTAssertEqual(saved.source, .update)
        XCTAssertTrue(FileManager.default.fileExists(atPath: saved.file.path))
        // "Next launch": a new store over the same directories.
        let relaunch = try self.store()
        let start = try XCTUnwrap(relaunch.startEntry(relaunch.loadAll().packs, modelFingerprint: fingerprint))
        XCTAssertEqual(start.id, saved.id)
        XCTAssertEqual(start.source, .update)
        try relaunch.remember(start)
        XCTAssertEqual(relaunch.startEntry(relaunch.loadAll().packs, modelFingerprint: fingerprint)?.id, saved.id)
        XCTAssertNil(relaunch.startEntry(relaunch.loadAll().packs, modelFingerprint: "another model"))
    }

    func testRejectedUpdatesWriteNothing() throws {
        let store = try store()
        let fingerprint = try LabelPack.load(path: p["pack_signed"]!, publicKeyHex: nil).info().modelFingerprint
        let updates = dir.appendingPathComponent("updates")
        XCTAssertThrowsError(try store.save(update: Data(contentsOf: file("pack_tampered")), modelFingerprint: fingerprint))
        XCTAssertThrowsError(try store.save(update: Data(contentsOf: file("pack_a")), modelFingerprint: fingerprint)) {
            guard case .PackUnsigned? = $0 as? PelabelError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try store.save(update: Data(contentsOf: file("pack_signed")), modelFingerprint: "another model")) {
            guard case .wrongModel? = $0 as? PackStoreError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: updates.path), [])
    }
}
