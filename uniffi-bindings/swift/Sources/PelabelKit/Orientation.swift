// How a camera buffer is turned and mirrored to look like the preview: pure functions of the
// angles and flags AVFoundation reports, tested on Linux.

import Pelabel

/// The orientation pelabel should apply to a buffer that must turn `degrees` clockwise to stand
/// level with the horizon: `AVCaptureDevice.RotationCoordinator`'s
/// `videoRotationAngleForHorizonLevelCapture` (iOS 17+) when the output's connection itself is
/// left unrotated, as the camera example does. Rounded to the nearest quarter turn, any sign or
/// number of turns; a non-finite angle gives `.up`.
public func frameOrientation(clockwiseDegrees degrees: Double) -> FrameOrientation {
    guard degrees.isFinite else { return .up }
    // Within one turn first: Int(_:) of a huge angle's quarter count would trap.
    let quarter = Int((degrees.truncatingRemainder(dividingBy: 360) / 90).rounded()) % 4
    switch (quarter + 4) % 4 {
    case 1: return .right
    case 2: return .down
    case 3: return .left
    default: return .up
    }
}

/// Device orientations, as `UIDeviceOrientation` names them (without UIKit).
public enum DeviceOrientation: Sendable {
    case portrait, portraitUpsideDown, landscapeLeft, landscapeRight, faceUp, faceDown, unknown
}

/// Before iOS 17 (no RotationCoordinator): the clockwise angle that makes a landscape-sensor
/// buffer upright for a device held in `orientation`, for the back or the front camera (whose
/// landscape cases are swapped). Face up/down and unknown keep `portrait`'s angle, the app's UI
/// orientation.
public func fallbackRotationDegrees(_ orientation: DeviceOrientation, frontCamera: Bool) -> Double {
    switch orientation {
    case .portraitUpsideDown: return 270
    case .landscapeLeft: return frontCamera ? 180 : 0
    case .landscapeRight: return frontCamera ? 0 : 180
    case .portrait, .faceUp, .faceDown, .unknown: return 90
    }
}

/// Whether pelabel should mirror a buffer so it matches the preview the user sees: the preview
/// of a front camera is mirrored; the buffers are mirrored already when the output's connection
/// has `isVideoMirrored` set. Mirror exactly when the two differ.
public func frameMirrored(frontCamera: Bool, connectionMirrorsVideo: Bool) -> Bool {
    frontCamera != connectionMirrorsVideo
}
