// The camera pipeline: AVCaptureSession → AVCaptureVideoDataOutput (NV12 full range, late frames
// discarded) → LiveLabeler.push on the capture queue → LiveListener results → main actor.
//
// Nothing of a frame touches the main thread: the delegate runs on `videoQueue`, locks the
// CVPixelBuffer, wraps its planes without copying (Data(bytesNoCopy:)), and `push` copies them
// once into Rust and returns at once (latest frame wins inside the labeler). The buffer goes
// back to the camera when the delegate returns.

import AVFoundation
import Pelabel
import SwiftUI
import UIKit

/// What the overlay shows.
struct LabelLine: Identifiable, Equatable {
    let id: String
    let name: String
    let score: Float
}

@MainActor
final class CameraModel: NSObject, ObservableObject {
    @Published private(set) var labels: [LabelLine] = []
    @Published private(set) var framesPerSecond: Double = 0
    @Published private(set) var latencyP50Ms: Double = 0
    @Published private(set) var status: String = "starting…"
    @Published var packs: [PackEntry] = []
    @Published var selectedPack: String = ""

    let session = AVCaptureSession()
    private let videoQueue = DispatchQueue(label: "pelabel.camera", qos: .userInitiated)
    private var labeler: Labeler?
    /// Read on the capture queue; set once on the main actor before the session starts.
    nonisolated(unsafe) private var live: LiveLabeler?
    private var store = PackStore()
    private var resultTimes: [UInt64] = []

    func start() {
        do {
            packs = try store.bundledPacks()
            guard let first = packs.first else { status = "no bundled label packs"; return }
            let labeler = try Labeler.open(modelDir: store.modelDirectory.path, pack: first.pack, threads: 2)
            let live = try LiveLabeler.start(
                labeler: labeler,
                options: LiveOptions(halfLifeMs: 300, enterScore: 0.2, exitMargin: 0.03, topK: 3, candidates: 20),
                listener: ResultSink(model: self)
            )
            self.labeler = labeler
            self.live = live
            selectedPack = first.id
            status = "\(first.info.name) \(first.info.version)"
            try configureSession()
            videoQueue.async { [session] in session.startRunning() }
        } catch {
            status = describe(error)
        }
    }

    private func configureSession() throws {
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        session.sessionPreset = .hd1280x720
        guard let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back) else {
            throw CameraError.noCamera
        }
        let input = try AVCaptureDeviceInput(device: camera)
        guard session.canAddInput(input) else { throw CameraError.configuration }
        session.addInput(input)
        let output = AVCaptureVideoDataOutput()
        // NV12 full range: what the sensor delivers natively, no conversion on the way. (BGRA
        // works too: kCVPixelFormatType_32BGRA, and the .bgra case in CameraFrame.init below.)
        output.videoSettings = [
            kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange,
        ]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: videoQueue)
        guard session.canAddOutput(output) else { throw CameraError.configuration }
        session.addOutput(output)
    }

    /// Hot swap to a bundled pack chosen in the picker.
    func select(pack id: String) {
        guard let entry = packs.first(where: { $0.id == id }), let live else { return }
        do {
            try live.swapPack(pack: entry.pack)
            status = "\(entry.info.name) \(entry.info.version)"
        } catch {
            status = describe(error)
        }
    }

    /// Downloads a new pack, verifies its signature, and hot-swaps it while the camera runs.
    func update(from url: URL) async {
        guard let live, let labeler else { return }
        status = "downloading…"
        do {
            let entry = try await store.download(url, for: try labeler.modelFingerprint())
            try live.swapPack(pack: entry.pack)
            packs.append(entry)
            selectedPack = entry.id
            status = "updated to \(entry.info.name) \(entry.info.version)"
        } catch {
            status = describe(error)
        }
    }

    /// Called on the main actor for each result.
    fileprivate func show(_ result: LiveResult) {
        labels = result.labels.map { LabelLine(id: $0.id, name: $0.name, score: $0.score) }
        resultTimes.append(result.timestampMs)
        if resultTimes.count > 30 { resultTimes.removeFirst() }
        if let first = resultTimes.first, let last = resultTimes.last, last > first {
            framesPerSecond = Double(resultTimes.count - 1) * 1000 / Double(last - first)
        }
        latencyP50Ms = (try? live?.stats())?.latencyP50Ms ?? 0
    }
}

extension CameraModel: AVCaptureVideoDataOutputSampleBufferDelegate {
    nonisolated func captureOutput(
        _ output: AVCaptureOutput,
        didOutput sampleBuffer: CMSampleBuffer,
        from connection: AVCaptureConnection
    ) {
        guard let live, let pixelBuffer = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        let time = CMSampleBufferGetPresentationTimeStamp(sampleBuffer)
        let timestampMs = UInt64(max(0, CMTimeGetSeconds(time) * 1000))
        CVPixelBufferLockBaseAddress(pixelBuffer, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixelBuffer, .readOnly) }
        // The back camera's buffers are landscape; in a portrait UI they display rotated 90°
        // clockwise. (A rotating UI maps its interface orientation here instead.)
        guard let frame = CameraFrame(pixelBuffer, orientation: .right) else { return }
        // Returns at once; a bad frame throws InvalidFrame, a stopped labeler Stopped.
        try? live.push(frame: frame, timestampMs: timestampMs)
    }
}

/// Receives results on the labeler's worker thread and hands them to the main actor.
final class ResultSink: LiveListener, @unchecked Sendable {
    private weak var model: CameraModel?

    init(model: CameraModel) { self.model = model }

    func onResult(result: LiveResult) {
        Task { @MainActor [weak model] in model?.show(result) }
    }

    func onError(timestampMs: UInt64, error: PelabelError) {
        // One bad frame; the session goes on with the next.
        print("frame \(timestampMs) failed: \(error)")
    }
}

extension CameraFrame {
    /// Wraps a locked CVPixelBuffer's planes without copying (valid until it is unlocked).
    init?(_ buffer: CVPixelBuffer, orientation: FrameOrientation, region: Region? = nil) {
        let width = UInt32(CVPixelBufferGetWidth(buffer))
        let height = UInt32(CVPixelBufferGetHeight(buffer))
        func plane(_ i: Int) -> (Data, UInt32)? {
            guard let base = CVPixelBufferGetBaseAddressOfPlane(buffer, i) else { return nil }
            let stride = CVPixelBufferGetBytesPerRowOfPlane(buffer, i)
            let rows = CVPixelBufferGetHeightOfPlane(buffer, i)
            return (Data(bytesNoCopy: base, count: stride * rows, deallocator: .none), UInt32(stride))
        }
        let pixels: FramePixels
        switch CVPixelBufferGetPixelFormatType(buffer) {
        case kCVPixelFormatType_420YpCbCr8BiPlanarFullRange, kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange:
            guard case let (y, yStride)? = plane(0), case let (cbcr, cStride)? = plane(1) else { return nil }
            let full = CVPixelBufferGetPixelFormatType(buffer) == kCVPixelFormatType_420YpCbCr8BiPlanarFullRange
            pixels = .nv12(y: y, yBytesPerRow: yStride, cbcr: cbcr, cbcrBytesPerRow: cStride,
                           range: full ? .full : .video, matrix: .bt709)
        case kCVPixelFormatType_32BGRA:
            guard let base = CVPixelBufferGetBaseAddress(buffer) else { return nil }
            let stride = CVPixelBufferGetBytesPerRow(buffer)
            let data = Data(bytesNoCopy: base, count: stride * Int(height), deallocator: .none)
            pixels = .bgra(data: data, bytesPerRow: UInt32(stride))
        default:
            return nil
        }
        self.init(width: width, height: height, pixels: pixels, orientation: orientation, mirrored: false,
                  region: region)
    }
}

enum CameraError: Error {
    case noCamera
    case configuration
}

/// A line for the status bar, by the case the app acts on.
func describe(_ error: Error) -> String {
    switch error as? PelabelError {
    case .PackSignatureInvalid?, .PackUnsigned?: return "update rejected: not signed by our release key"
    case .PackTampered?, .PackCorrupt?: return "update rejected: the download is damaged"
    case .ModelMismatch?: return "update rejected: made for another model version"
    case .InvalidKey?: return "no usable release key: set releasePublicKeyHex in PackStore.swift"
    case .FileNotFound(let path)?: return "missing file \(path)"
    case let other?: return "\(other)"
    case nil: return "\(error)"
    }
}
