// Texts the app shows: a label line, and a status line for an error that says what went wrong
// where (a bundled pack is not an "update", a bad key is not a damaged download).

import Foundation
import Pelabel

/// One line of the overlay.
public struct LabelLine: Identifiable, Equatable, Sendable {
    public let id: String
    public let name: String
    public let score: Float

    public init(id: String, name: String, score: Float) {
        self.id = id
        self.name = name
        self.score = score
    }

    /// Smoothed live labels, best first (as the labeler orders them).
    public static func lines(_ labels: [SmoothedLabel]) -> [LabelLine] {
        labels.map { LabelLine(id: $0.id, name: $0.name, score: $0.score) }
    }

    /// `name  0.83`: the cosine score with two decimals (locale-independent).
    public var text: String { "\(name)  \(String(format: "%.2f", Double(score)))" }
}

/// What the app was doing when an error happened.
public enum ErrorContext: Equatable, Sendable {
    /// Loading packs at start (bundled ones or saved updates).
    case loading(PackSource)
    /// Downloading and verifying an update.
    case updating
    /// Opening the model or starting the camera pipeline.
    case starting
}

/// A status line for `error` in `context`, by the case the app acts on.
public func statusText(for error: any Error, context: ErrorContext) -> String {
    let what: String
    switch context {
    case .loading(.bundled): what = "bundled pack rejected"
    case .loading(.update): what = "saved update rejected"
    case .updating: what = "update rejected"
    case .starting: what = "cannot start"
    }
    if let store = error as? PackStoreError {
        switch store {
        case .placeholderKey: return "no release key: replace the placeholder releasePublicKeyHex with your key"
        case .malformedKey: return "release key is not 64 hex characters"
        case .httpStatus(let code): return "\(what): server answered HTTP \(code)"
        case .wrongModel: return "\(what): made for another model version"
        }
    }
    switch error as? PelabelError {
    case .PackSignatureInvalid?, .PackUnsigned?: return "\(what): not signed by the release key"
    case .PackTampered?, .PackCorrupt?: return "\(what): the file is damaged"
    case .ModelMismatch?: return "\(what): made for another model version"
    case .InvalidKey?: return "no usable release key: replace releasePublicKeyHex"
    case .FileNotFound(let path)?: return "\(what): missing file \(path)"
    case .InvalidModel?: return "\(what): the bundled model cannot be read"
    case let other?: return "\(what): \(other)"
    case nil: return "\(what): \(error.localizedDescription)"
    }
}
