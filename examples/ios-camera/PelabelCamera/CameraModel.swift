// The camera pipeline: AVCaptureSession → AVCaptureVideoDataOutput (NV12, late frames discarded)
// → LiveLabeler.pushNv12 on the capture queue → LiveListener results → main actor.
//
// Threads: the main actor owns what the UI shows. `Capture` owns the AVCaptureSession and does
// everything with it on its own serial queue (configuration, start, stop, and the sample-buffer
// delegate), which is why it can be `@unchecked Sendable`. The model and packs are opened off the
// main thread. Nothing of a frame touches the main thread: the delegate locks the CVPixelBuffer,
// wraps its planes without copying (PelabelKit.wrapPlane), and `pushNv12` copies them once into
// Rust and returns at once (latest frame wins inside the labeler).

import AVFoundation
import Pelabel
import PelabelKit
import SwiftUI
import UIKit

@MainActor
final class CameraModel: ObservableObject {
    @Published private(set) var labels: [LabelLine] = []
    @Published private(set) var framesPerSecond: Double = 0
    /// The last result's latency (frame time to result), in milliseconds.
    @Published private(set) var latencyMs: Double = 0
    @Published private(set) var status: String = "starting…"
    /// Camera access was denied or is restricted: the screen says how to allow it.
    @Published private(set) var cameraDenied = false
    @Published private(set) var packs: [PackEntry] = []
    /// The picker's selection; `select(pack:)` swaps only when it differs from the pack in use.
    @Published var selectedPack: String = ""

    let capture = Capture()
    private var started = false
    private var activePack: String = ""
    private var labeler: Labeler?
    private var store: PackStore?
    private var resultTimes: [UInt64] = []

    /// Opens the model and packs (off the main thread), asks for camera access, starts the
    /// camera. Runs once; later calls (e.g. a second `onAppear`) return at once.
    func start() async {
        guard !started else { return }
        started = true
        do {
            let store = try PackStore.app()
            self.store = store
            // Loading the model and verifying packs takes a while: not on the main thread.
            let (opened, catalog, first) = try await Task.detached(priority: .userInitiated) {
                () throws -> (Labeler?, PackCatalog, PackEntry?) in
                let catalog = store.loadAll()
                guard let modelDir = PackStore.modelDirectory else { throw CameraError.noModel }
                guard let candidate = catalog.packs.first else { return (nil, catalog, nil) }
                // Open with any pack to learn the model's fingerprint, then start with the right one.
                let labeler = try Self.open(modelDir, candidate.pack)
                let first = store.startEntry(catalog.packs, modelFingerprint: try labeler.modelFingerprint())
                if let first, first.id != candidate.id { try labeler.swapPack(pack: first.pack) }
                return (labeler, catalog, first)
            }.value
            packs = catalog.packs
            for failure in catalog.failures { print("pack \(failure)") }
            guard let labeler = opened, let first else {
                status = catalog.failures.first?.message ?? "no label packs for this model"
                return
            }
            self.labeler = labeler
            activePack = first.id
            selectedPack = first.id
            status = "\(first.info.name) \(first.info.version)"
                + (catalog.failures.isEmpty ? "" : " (\(catalog.failures.count) pack(s) rejected)")
            guard await cameraAllowed() else {
                cameraDenied = true
                status = "Camera access is off: allow it in Settings › Privacy & Security › Camera"
                return
            }
            let live = try LiveLabeler.start(
                labeler: labeler,
                options: LiveOptions(halfLifeMs: 300, enterScore: 0.2, exitMargin: 0.03, topK: 3, candidates: 20),
                listener: ResultSink(model: self)
            )
            try await capture.start(live: live)
        } catch {
            status = statusText(for: error, context: error is PackStoreError ? .loading(.bundled) : .starting)
        }
    }

    nonisolated private static func open(_ modelDir: URL, _ pack: LabelPack) throws -> Labeler {
        // int8 where the phone has the kernel (A13 and later), f32 otherwise: precision() says which.
        let labeler = try Labeler.open(modelDir: modelDir.path, pack: pack,
                                       options: LabelerOptions(threads: 2, precision: .int8))
        print("pelabel: \(try labeler.precision())")
        return labeler
    }

    private func cameraAllowed() async -> Bool {
        switch AVCaptureDevice.authorizationStatus(for: .video) {
        case .authorized: return true
        case .notDetermined: return await AVCaptureDevice.requestAccess(for: .video)
        default: return false
        }
    }

    /// Hot swap to the pack chosen in the picker (once: nothing happens for the pack in use).
    func select(pack id: String) {
        guard id != activePack, let entry = packs.first(where: { $0.id == id }), let labeler else { return }
        do {
            try labeler.swapPack(pack: entry.pack)
            activePack = id
            try? store?.remember(entry)
            status = "\(entry.info.name) \(entry.info.version)"
        } catch {
            selectedPack = activePack
            status = statusText(for: error, context: .loading(entry.source))
        }
    }

    /// Downloads a new pack, verifies it, saves it for the next launch and hot-swaps it.
    func update(from url: URL) async {
        guard let labeler, let store else { return }
        status = "downloading…"
        do {
            let fingerprint = try labeler.modelFingerprint()
            let entry = try await store.download(url, modelFingerprint: fingerprint)
            try labeler.swapPack(pack: entry.pack)
            try? store.remember(entry)
            packs.removeAll { $0.id == entry.id }
            packs.append(entry)
            activePack = entry.id
            selectedPack = entry.id  // select(pack:) sees the active id: no second swap
            status = "updated to \(entry.info.name) \(entry.info.version)"
        } catch {
            status = statusText(for: error, context: .updating)
        }
    }

    /// Called on the main actor for each result.
    fileprivate func show(_ result: LiveResult) {
        labels = LabelLine.lines(result.labels)
        resultTimes.append(result.timestampMs)
        if resultTimes.count > 30 { resultTimes.removeFirst() }
        if let first = resultTimes.first, let last = resultTimes.last, last > first {
            framesPerSecond = Double(resultTimes.count - 1) * 1000 / Double(last - first)
        }
        latencyMs = result.latencyMs
    }
}

/// The capture session and its delegate. Invariant: the session's configuration, start and the
/// rotation observers are touched only on `queue` (the preview layer only holds a reference to
/// the session, set on the main thread as AVFoundation expects); `live` and `angle` are behind
/// `lock`, `frontCamera` is written in `configure` before the first frame. That is what makes the
/// `@unchecked Sendable` sound.
final class Capture: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    let session = AVCaptureSession()
    private let queue = DispatchQueue(label: "pelabel.camera", qos: .userInitiated)
    private let lock = NSLock()
    private var live: LiveLabeler?
    private var angle: Double = 90
    private var frontCamera = false
    private var configured = false
    private var rotation: NSObject?
    private var observation: NSKeyValueObservation?
    private var orientationObserver: NSObjectProtocol?

    /// Configures the session once and starts it, on the capture queue.
    func start(live: LiveLabeler) async throws {
        lock.locked { self.live = live }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            queue.async {
                do {
                    if !self.configured {
                        try self.configure()
                        self.configured = true
                    }
                    if !self.session.isRunning { self.session.startRunning() }
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
    }

    private func configure() throws {
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        session.sessionPreset = .hd1280x720
        guard let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back) else {
            throw CameraError.noCamera
        }
        frontCamera = camera.position == .front
        let input = try AVCaptureDeviceInput(device: camera)
        guard session.canAddInput(input) else { throw CameraError.configuration }
        session.addInput(input)
        let output = AVCaptureVideoDataOutput()
        // NV12 full range: what the sensor delivers natively. (BGRA works too: pushBgra below.)
        output.videoSettings = [
            kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange,
        ]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: queue)
        guard session.canAddOutput(output) else { throw CameraError.configuration }
        session.addOutput(output)
        followRotation(of: camera)
    }

    /// Keeps `angle` = the clockwise turn that makes the (unrotated) buffers level with the
    /// horizon: RotationCoordinator on iOS 17+, the device orientation before.
    private func followRotation(of camera: AVCaptureDevice) {
        if #available(iOS 17.0, *) {
            let coordinator = AVCaptureDevice.RotationCoordinator(device: camera, previewLayer: nil)
            rotation = coordinator
            setAngle(coordinator.videoRotationAngleForHorizonLevelCapture)
            observation = coordinator.observe(\.videoRotationAngleForHorizonLevelCapture, options: [.new]) { [weak self] c, _ in
                self?.setAngle(c.videoRotationAngleForHorizonLevelCapture)
            }
        } else {
            let front = frontCamera
            let update: @Sendable () -> Void = { [weak self] in
                Task { @MainActor in
                    let o = DeviceOrientation(UIDevice.current.orientation)
                    self?.setAngle(fallbackRotationDegrees(o, frontCamera: front))
                }
            }
            Task { @MainActor in UIDevice.current.beginGeneratingDeviceOrientationNotifications() }
            orientationObserver = NotificationCenter.default.addObserver(
                forName: UIDevice.orientationDidChangeNotification, object: nil, queue: nil) { _ in update() }
            update()
        }
    }

    private func setAngle(_ degrees: CGFloat) { lock.locked { angle = Double(degrees) } }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        let (live, angle) = lock.locked { (self.live, self.angle) }
        guard let live, let pixelBuffer = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        let time = CMSampleBufferGetPresentationTimeStamp(sampleBuffer)
        let timestampMs = UInt64(max(0, CMTimeGetSeconds(time) * 1000))
        let geometry = FrameGeometry(
            width: UInt32(CVPixelBufferGetWidth(pixelBuffer)),
            height: UInt32(CVPixelBufferGetHeight(pixelBuffer)),
            orientation: frameOrientation(clockwiseDegrees: angle),
            mirrored: frameMirrored(frontCamera: frontCamera, connectionMirrorsVideo: connection.isVideoMirrored),
            region: nil)
        CVPixelBufferLockBaseAddress(pixelBuffer, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixelBuffer, .readOnly) }
        func plane(_ i: Int) -> (data: Data, bytesPerRow: UInt32)? {
            wrapPlane(base: CVPixelBufferGetBaseAddressOfPlane(pixelBuffer, i),
                      bytesPerRow: CVPixelBufferGetBytesPerRowOfPlane(pixelBuffer, i),
                      rows: CVPixelBufferGetHeightOfPlane(pixelBuffer, i))
        }
        // Returns at once; a bad frame throws InvalidFrame, a stopped labeler Stopped.
        switch CameraPixelFormat(fourCC: CVPixelBufferGetPixelFormatType(pixelBuffer)) {
        case .nv12(let range)?:
            guard let y = plane(0), let cbcr = plane(1) else { return }
            let matrix = CVBufferCopyAttachment(pixelBuffer, kCVImageBufferYCbCrMatrixKey, nil) as? String
            try? live.pushNv12(y: y.data, yBytesPerRow: y.bytesPerRow, cbcr: cbcr.data, cbcrBytesPerRow: cbcr.bytesPerRow,
                               range: range, matrix: yuvMatrix(attachment: matrix), geometry: geometry, timestampMs: timestampMs)
        case .bgra?:
            guard let bgra = wrapPlane(base: CVPixelBufferGetBaseAddress(pixelBuffer),
                                       bytesPerRow: CVPixelBufferGetBytesPerRow(pixelBuffer),
                                       rows: CVPixelBufferGetHeight(pixelBuffer)) else { return }
            try? live.pushBgra(data: bgra.data, bytesPerRow: bgra.bytesPerRow, geometry: geometry, timestampMs: timestampMs)
        case nil:
            return
        }
    }
}

extension NSLock {
    /// `withLock` for iOS 15 (Foundation's own needs iOS 16).
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

extension DeviceOrientation {
    init(_ o: UIDeviceOrientation) {
        switch o {
        case .portrait: self = .portrait
        case .portraitUpsideDown: self = .portraitUpsideDown
        case .landscapeLeft: self = .landscapeLeft
        case .landscapeRight: self = .landscapeRight
        case .faceUp: self = .faceUp
        case .faceDown: self = .faceDown
        default: self = .unknown
        }
    }
}

/// Receives results on the labeler's worker thread and hands them to the main actor.
final class ResultSink: LiveListener, @unchecked Sendable {
    // Written once in init, read-only after: the weak reference is the only state.
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

enum CameraError: Error {
    case noCamera
    case configuration
    case noModel
}
