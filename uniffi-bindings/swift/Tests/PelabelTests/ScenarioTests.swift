// The bindings scenario in Swift; tests/scenario/scenario.py and Scenario.kt say the same, step by
// step. It reads the scenario that `cargo test -p pelabel-ffi --test foreign` prepares (model,
// packs compiled at test time, frames with padded strides, the labels the sdk expects):
//
//   Linux:  uniffi-bindings/swift/test-linux.sh        (builds the library, prepares the scenario)
//   macOS:  cargo test -p pelabel-ffi --test foreign
//           uniffi-bindings/swift/build-xcframework.sh
//           cd uniffi-bindings/swift && PELABEL_SCENARIO=../../target/debug/ffi-scenario/scenario.properties swift test
//
// Written on Linux without a Swift compiler: not compiled or run here (see the README).

import Foundation
import XCTest

@testable import Pelabel

final class Collector: LiveListener, @unchecked Sendable {
    private let lock = NSLock()
    private var results: [LiveResult] = []
    private var errors: [(UInt64, PelabelError)] = []

    // lock()/unlock(): NSLock.withLock needs macOS 13, the package supports macOS 12.
    func onResult(result: LiveResult) {
        lock.lock()
        defer { lock.unlock() }
        results.append(result)
    }

    func onError(timestampMs: UInt64, error: PelabelError) {
        lock.lock()
        defer { lock.unlock() }
        errors.append((timestampMs, error))
    }

    func snapshot() -> ([LiveResult], [(UInt64, PelabelError)]) {
        lock.lock()
        defer { lock.unlock() }
        return (results, errors)
    }
}

final class ScenarioTests: XCTestCase {
    var p: [String: String] = [:]
    var w: UInt32 = 0
    var h: UInt32 = 0
    let top3 = LabelOptions(topK: 3, minScore: nil, minProbability: nil)

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
        w = UInt32(p["frame_width"]!)!
        h = UInt32(p["frame_height"]!)!
    }

    func read(_ key: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: p[key]!)) }

    func bgraFrame(bytesPerRow: UInt32? = nil, data: Data? = nil) throws -> CameraFrame {
        let pixels = FramePixels.bgra(data: try data ?? read("bgra_file"),
                                      bytesPerRow: bytesPerRow ?? UInt32(p["bgra_bytes_per_row"]!)!)
        return CameraFrame(width: w, height: h, pixels: pixels, orientation: .up, mirrored: false, region: nil)
    }

    func nv12Frame() throws -> CameraFrame {
        let pixels = FramePixels.nv12(y: try read("y_file"), yBytesPerRow: UInt32(p["y_bytes_per_row"]!)!,
                                      cbcr: try read("cbcr_file"), cbcrBytesPerRow: UInt32(p["cbcr_bytes_per_row"]!)!,
                                      range: .full, matrix: .bt601)
        return CameraFrame(width: w, height: h, pixels: pixels, orientation: .up, mirrored: false, region: nil)
    }

    func topId(_ outcome: LabelOutcome) -> String? {
        guard case let .recognised(labels) = outcome else { return nil }
        return labels.first?.id
    }

    /// Asserts that `f` throws the error case `matches` accepts.
    func expectError(_ what: String, _ matches: (PelabelError) -> Bool, _ f: () throws -> Void) {
        do {
            try f()
            XCTFail("\(what): no error")
        } catch let e as PelabelError {
            XCTAssertTrue(matches(e), "\(what): got \(e)")
        } catch {
            XCTFail("\(what): not a PelabelError: \(error)")
        }
    }

    func testScenario() throws {
        // 1. Open the pack (signature verified) and the model, from files and from bytes.
        let packA = try LabelPack.load(path: p["pack_signed"]!, publicKeyHex: p["public_key_hex"]!)
        let info = try packA.info()
        XCTAssertEqual(info.name, p["pack_a_name"])
        XCTAssertEqual(info.version, p["pack_a_version"])
        XCTAssertEqual(info.signature, .verified)
        XCTAssertEqual(try LabelPack.load(path: p["pack_signed"]!, publicKeyHex: nil).info().signature, .unchecked)
        XCTAssertEqual(try LabelPack.load(path: p["pack_a"]!, publicKeyHex: nil).info().signature, .unsigned)
        XCTAssertEqual(info.labelCount, UInt64(p["pack_label_count"]!)!)
        XCTAssertEqual(UInt64(info.labels.count), info.labelCount)
        let labeler = try Labeler.open(modelDir: p["model_dir"]!, pack: packA, options: LabelerOptions(threads: 2, precision: nil))
        XCTAssertEqual(try labeler.modelFingerprint(), info.modelFingerprint)
        let fromBytes = try Labeler.fromBytes(
            imageTower: read("image_tower"), configJson: String(contentsOfFile: p["config_json"]!, encoding: .utf8),
            pack: LabelPack.fromBytes(bytes: read("pack_a"), publicKeyHex: nil), options: LabelerOptions(threads: 1))

        // 2. Label a BGRA frame and an NV12 frame with padded strides, and an encoded image.
        XCTAssertEqual(topId(try labeler.labelFrame(frame: bgraFrame(), options: top3)), p["expected_bgra"])
        XCTAssertEqual(topId(try fromBytes.labelFrame(frame: bgraFrame(), options: top3)), p["expected_bgra"])
        XCTAssertEqual(topId(try labeler.labelFrame(frame: nv12Frame(), options: top3)), p["expected_nv12"])
        XCTAssertEqual(topId(try labeler.labelImage(encoded: read("image_file"), options: top3)), p["expected_image"])
        XCTAssertEqual(topId(try labeler.labelImageFile(path: p["image_file"]!, options: top3)), p["expected_image"])
        guard case let .recognised(plain) = try labeler.labelImageFile(path: p["image_file"]!, options: top3) else {
            return XCTFail("recognised")
        }
        XCTAssertFalse(plain[0].calibrated, "softmax probability: not calibrated")
        let calibrated = try Labeler.open(
            modelDir: p["model_dir"]!,
            pack: try LabelPack.load(path: p["pack_calibrated"]!, publicKeyHex: nil),
            options: LabelerOptions(threads: 1, precision: nil))
        guard case let .recognised(best) = try calibrated.labelImageFile(path: p["image_file"]!, options: top3) else {
            return XCTFail("recognised with the calibrated pack")
        }
        XCTAssertEqual(best[0].id, p["expected_image"])
        XCTAssertTrue(best[0].calibrated)
        XCTAssertEqual(best[0].probability, Float(p["calibrated_probability"]!)!, accuracy: 1e-5)
        let none = try labeler.labelFrame(frame: bgraFrame(), options: LabelOptions(topK: 3, minScore: 1.5, minProbability: nil))
        guard case let .nothingRecognised(best) = none else { return XCTFail("nothing recognised: \(none)") }
        XCTAssertNotNil(best)
        var rotated = try bgraFrame()
        rotated.orientation = .right
        rotated.region = Region(x: 1, y: 2, width: w / 2, height: h / 2)
        XCTAssertNotNil(topId(try labeler.labelFrame(frame: rotated, options: top3)))

        // 2b. The same planes borrowed for the call (zero-copy `&[u8]`): the same outcomes as the
        // records. (The app wraps a locked CVPixelBuffer's planes with PelabelKit.wrapPlane.)
        let geometry = FrameGeometry(width: w, height: h, orientation: .up, mirrored: false, region: nil)
        let bgra = try read("bgra_file"), bgraBpr = UInt32(p["bgra_bytes_per_row"]!)!
        XCTAssertEqual(try labeler.labelBgra(data: bgra, bytesPerRow: bgraBpr, geometry: geometry, options: top3),
                       try labeler.labelFrame(frame: bgraFrame(), options: top3))
        XCTAssertEqual(try labeler.labelNv12(y: read("y_file"), yBytesPerRow: UInt32(p["y_bytes_per_row"]!)!,
                                             cbcr: read("cbcr_file"), cbcrBytesPerRow: UInt32(p["cbcr_bytes_per_row"]!)!,
                                             range: .full, matrix: .bt601, geometry: geometry, options: top3),
                       try labeler.labelFrame(frame: nv12Frame(), options: top3))
        let turned = FrameGeometry(width: w, height: h, orientation: .right, mirrored: true,
                                   region: Region(x: 1, y: 2, width: w / 2, height: h / 2))
        var turnedRecord = try bgraFrame()
        turnedRecord.orientation = .right
        turnedRecord.mirrored = true
        turnedRecord.region = turned.region
        XCTAssertEqual(try labeler.labelBgra(data: bgra, bytesPerRow: bgraBpr, geometry: turned, options: top3),
                       try labeler.labelFrame(frame: turnedRecord, options: top3))
        expectError("borrowed buffer too short", { if case .InvalidFrame = $0 { true } else { false } }) {
            _ = try labeler.labelBgra(data: bgra.prefix(100), bytesPerRow: bgraBpr, geometry: geometry, options: top3)
        }

        // 2c. Options: the records' defaults are the sdk's; precision asked for and in effect; threads bounded.
        XCTAssertEqual(LabelOptions(), defaultLabelOptions())
        XCTAssertEqual(LiveOptions(), defaultLiveOptions())
        XCTAssertEqual(LabelerOptions(), defaultLabelerOptions())
        let f32 = try labeler.precision()
        XCTAssertEqual(f32.requested, .f32)
        XCTAssertEqual(f32.active, .f32)
        XCTAssertFalse(f32.cpuTier.isEmpty)
        let int8 = try Labeler.open(modelDir: p["model_dir"]!, pack: packA,
                                    options: LabelerOptions(threads: 1, precision: .int8)).precision()
        XCTAssertEqual(int8.requested, .int8)
        XCTAssertEqual(int8.active, p["int8_kernel"] == "true" ? .int8 : .f32, "int8 exactly where the CPU has its kernel")
        expectError("threads over the limit", { if case .LimitExceeded = $0 { true } else { false } }) {
            _ = try Labeler.open(modelDir: p["model_dir"]!, pack: packA, options: LabelerOptions(threads: 100_000))
        }

        // 3. Live labeler with a callback, and a pack swap while it runs.
        let collector = Collector()
        let live = try LiveLabeler.start(
            labeler: labeler,
            options: LiveOptions(halfLifeMs: 0, enterScore: -1, exitMargin: 0, topK: 3, candidates: 10),
            listener: collector)
        let packB = try LabelPack.load(path: p["pack_b"]!, publicKeyHex: nil)
        for i in 0..<6 {
            if i == 3 { try live.swapPack(pack: packB) }
            if i % 2 == 1 {
                // Borrowed planes, copied once into the worker's mailbox.
                try live.pushBgra(data: bgra, bytesPerRow: bgraBpr, geometry: geometry, timestampMs: UInt64(1000 + 33 * i))
            } else {
                try live.push(frame: bgraFrame(), timestampMs: UInt64(1000 + 33 * i))
            }
            XCTAssertTrue(live.waitIdle(timeoutMs: 30_000))
        }
        expectError("bad frame pushed", { if case .InvalidFrame = $0 { true } else { false } }) {
            try live.push(frame: bgraFrame(bytesPerRow: 4 * w - 1), timestampMs: 5000)
        }
        expectError("wrong-model swap while running", { if case .ModelMismatch = $0 { true } else { false } }) {
            try live.swapPack(pack: LabelPack.load(path: p["pack_wrong_model"]!, publicKeyHex: nil))
        }
        let stats = try live.stop()
        expectError("push after stop", { if case .Stopped = $0 { true } else { false } }) {
            try live.push(frame: bgraFrame(), timestampMs: 6000)
        }
        let (results, errors) = collector.snapshot()
        XCTAssertEqual(results.count, 6)
        XCTAssertTrue(errors.isEmpty)
        XCTAssertEqual(results.map(\.timestampMs), (0..<6).map { UInt64(1000 + 33 * $0) })
        XCTAssertEqual(results.map(\.packName), Array(repeating: p["pack_a_name"]!, count: 3) + Array(repeating: p["pack_b_name"]!, count: 3))
        XCTAssertTrue(results.allSatisfy { $0.labels.first?.id == p["expected_bgra"] })
        XCTAssertEqual(stats.framesIn, 6)
        XCTAssertEqual(stats.labelled, 6)
        XCTAssertEqual(stats.failed, 0)
        XCTAssertGreaterThan(stats.latencyP50Ms, 0)
        XCTAssertGreaterThanOrEqual(stats.latencyP95Ms, stats.latencyP50Ms)
        XCTAssertEqual(try labeler.packInfo().name, p["pack_b_name"])

        // 3b. A label typed on the device: the pack without the picture's label, then the label typed.
        let encoder = try TextEncoder.open(modelDir: p["model_dir"]!, options: TextEncoderOptions())
        XCTAssertEqual(encoder.modelFingerprint(), info.modelFingerprint)
        XCTAssertEqual(try encoder.precision().requested, .int8)
        let typed = try Labeler.open(modelDir: p["model_dir"]!, pack: LabelPack.load(path: p["pack_without"]!, publicKeyHex: nil),
                                     options: LabelerOptions(threads: 1))
        let everything = LabelOptions(topK: 100, minScore: -1, minProbability: nil)
        func ids(_ outcome: LabelOutcome) -> [String] {
            guard case let .recognised(labels) = outcome else { return [] }
            return labels.map(\.id)
        }
        XCTAssertFalse(ids(try typed.labelBgra(data: bgra, bytesPerRow: bgraBpr, geometry: geometry, options: everything))
            .contains(p["typed_removed_id"]!))
        let prompts = p["typed_prompts"]!.split(separator: "|").map(String.init)
        try typed.addUserLabel(encoder: encoder, id: p["typed_id"]!, name: p["typed_name"]!, prompts: prompts, minScore: nil)
        let after = ids(try typed.labelBgra(data: bgra, bytesPerRow: bgraBpr, geometry: geometry, options: everything))
        XCTAssertTrue(after.contains(p["typed_id"]!))
        if p["mode"] == "demo" { XCTAssertEqual(after.first, p["typed_id"], "the typed label is recognised") }
        try typed.swapPack(pack: LabelPack.load(path: p["pack_without"]!, publicKeyHex: nil))
        XCTAssertEqual(try typed.userLabels().map(\.id), [p["typed_id"]!], "kept across a swap")
        expectError("no prompts", { if case .InvalidLabel = $0 { true } else { false } }) {
            try typed.addUserLabel(encoder: encoder, id: "x", name: "x", prompts: [], minScore: nil)
        }
        XCTAssertTrue(typed.removeUserLabel(id: p["typed_id"]!))
        XCTAssertFalse(typed.removeUserLabel(id: p["typed_id"]!))

        // 4. Each error as a typed Swift error.
        expectError("stride too small", { if case .InvalidFrame = $0 { true } else { false } }) {
            _ = try labeler.labelFrame(frame: bgraFrame(bytesPerRow: 4 * w - 4), options: top3)
        }
        expectError("buffer too short", { if case .InvalidFrame = $0 { true } else { false } }) {
            _ = try labeler.labelFrame(frame: bgraFrame(data: Data(count: 100)), options: top3)
        }
        var outside = try bgraFrame()
        outside.region = Region(x: w - 1, y: 0, width: 8, height: 8)
        expectError("region outside", { if case .InvalidFrame = $0 { true } else { false } }) {
            _ = try labeler.labelFrame(frame: outside, options: top3)
        }
        expectError("undecodable image", { if case .InvalidImage = $0 { true } else { false } }) {
            _ = try labeler.labelImage(encoded: Data("not an image".utf8), options: top3)
        }
        expectError("wrong-model pack", { if case .ModelMismatch = $0 { true } else { false } }) {
            _ = try Labeler.open(modelDir: p["model_dir"]!, pack: LabelPack.load(path: p["pack_wrong_model"]!, publicKeyHex: nil), options: LabelerOptions())
        }
        expectError("wrong-model swap", { if case .ModelMismatch = $0 { true } else { false } }) {
            try labeler.swapPack(pack: LabelPack.load(path: p["pack_wrong_model"]!, publicKeyHex: nil))
        }
        expectError("tampered pack", { if case .PackTampered = $0 { true } else { false } }) {
            _ = try LabelPack.load(path: p["pack_tampered"]!, publicKeyHex: p["public_key_hex"]!)
        }
        expectError("tampered bytes", { if case .PackTampered = $0 { true } else { false } }) {
            _ = try LabelPack.fromBytes(bytes: read("pack_tampered"), publicKeyHex: nil)
        }
        expectError("other signer", { if case .PackSignatureInvalid = $0 { true } else { false } }) {
            _ = try LabelPack.load(path: p["pack_signed"]!, publicKeyHex: p["other_public_key_hex"]!)
        }
        expectError("unsigned pack", { if case .PackUnsigned = $0 { true } else { false } }) {
            _ = try LabelPack.load(path: p["pack_a"]!, publicKeyHex: p["public_key_hex"]!)
        }
        expectError("malformed key", { if case .InvalidKey = $0 { true } else { false } }) {
            _ = try LabelPack.load(path: p["pack_signed"]!, publicKeyHex: "abc")
        }
        expectError("placeholder key of zeros", { if case .InvalidKey = $0 { true } else { false } }) {
            _ = try LabelPack.load(path: p["pack_signed"]!, publicKeyHex: String(repeating: "0", count: 64))
        }
        expectError("not a pack", { if case .PackCorrupt = $0 { true } else { false } }) {
            _ = try LabelPack.fromBytes(bytes: Data("PK\u{3}\u{4} nothing".utf8), publicKeyHex: nil)
        }
        expectError("missing pack", { if case let .FileNotFound(path) = $0 { path == self.p["missing_path"] } else { false } }) {
            _ = try LabelPack.load(path: p["missing_path"]!, publicKeyHex: nil)
        }
        expectError("missing model", { if case .FileNotFound = $0 { true } else { false } }) {
            _ = try Labeler.open(modelDir: p["missing_path"]!, pack: packA, options: LabelerOptions())
        }
        expectError("model bytes", { if case .InvalidModel = $0 { true } else { false } }) {
            _ = try Labeler.fromBytes(imageTower: Data("nope".utf8),
                                      configJson: String(contentsOfFile: p["config_json"]!, encoding: .utf8),
                                      pack: packA, options: LabelerOptions())
        }
    }
}
