// Camera planes as the borrowed `Data` the bindings' `label_*` / `push_*` calls take: pure
// functions over a pointer, a stride and a row count, so they are tested on Linux; the app's
// CVPixelBuffer code only locks the buffer and reads these three values per plane.

import Foundation
import Pelabel

/// One plane of a locked pixel buffer, wrapped without copying: valid only while the buffer stays
/// locked (the bytes are the camera's). `nil` for a missing base address, a non-positive stride or
/// row count, or a size that overflows (`Int` bytes, `UInt32` stride).
public func wrapPlane(base: UnsafeRawPointer?, bytesPerRow: Int, rows: Int) -> (data: Data, bytesPerRow: UInt32)? {
    guard let base, bytesPerRow > 0, rows > 0, let stride = UInt32(exactly: bytesPerRow) else { return nil }
    let (count, overflow) = bytesPerRow.multipliedReportingOverflow(by: rows)
    guard !overflow else { return nil }
    // `.none`: the camera owns the memory; Data never frees or copies it.
    return (Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: count, deallocator: .none), stride)
}

/// The pixel layouts the camera can deliver that pelabel reads, from a CoreVideo pixel-format
/// code (`CVPixelBufferGetPixelFormatType`).
public enum CameraPixelFormat: Equatable, Sendable {
    /// Bi-planar 4:2:0 (`kCVPixelFormatType_420YpCbCr8BiPlanarFullRange` '420f' or
    /// `…VideoRange` '420v').
    case nv12(YuvRange)
    /// `kCVPixelFormatType_32BGRA` ('BGRA').
    case bgra

    /// `nil` for every other format (the app then asks the output for one of these).
    public init?(fourCC: UInt32) {
        switch fourCC {
        case 0x3432_3066: self = .nv12(.full)  // '420f'
        case 0x3432_3076: self = .nv12(.video)  // '420v'
        case 0x4247_5241: self = .bgra  // 'BGRA'
        default: return nil
        }
    }
}

/// The YCbCr matrix of a buffer from its `kCVImageBufferYCbCrMatrixKey` attachment value
/// (`ITU_R_601_4`, `ITU_R_709_2`, …); BT.709 when absent or unknown, as for HD camera buffers.
/// BT.2020 buffers (HDR video formats) have no pelabel matrix: they get BT.709, the closest.
public func yuvMatrix(attachment: String?) -> YuvMatrix {
    switch attachment {
    case "ITU_R_601_4", "SMPTE_240M_1995": return .bt601
    default: return .bt709
    }
}
