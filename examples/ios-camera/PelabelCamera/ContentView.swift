// The screen: camera picture, an overlay of the smoothed top labels with frame rate and latency,
// a picker of the bundled label packs, and the pack update button.

import PelabelKit
import SwiftUI
import UIKit

/// Where the update flow downloads a new signed pack from (`pelabel compile … --sign`).
let packUpdateURL = URL(string: "https://example.invalid/packs/everyday-latest.pack")!

struct ContentView: View {
    @StateObject private var camera = CameraModel()

    var body: some View {
        ZStack(alignment: .bottom) {
            CameraPreview(session: camera.capture.session)
                .ignoresSafeArea()
            if camera.cameraDenied {
                VStack(spacing: 12) {
                    Text("pelabel needs the camera to label what it sees.").multilineTextAlignment(.center)
                    Button("Open Settings") {
                        if let url = URL(string: UIApplication.openSettingsURLString) {
                            UIApplication.shared.open(url)
                        }
                    }
                }
                .padding()
                .frame(maxWidth: .infinity, maxHeight: .infinity)
                .background(.black.opacity(0.8))
                .foregroundStyle(.white)
            }
            VStack(alignment: .leading, spacing: 8) {
                HStack {
                    Text(String(format: "%.1f fps", camera.framesPerSecond))
                    Spacer()
                    Text(String(format: "latency %.0f ms", camera.latencyMs))
                }
                .font(.caption.monospacedDigit())
                if camera.labels.isEmpty {
                    Text("nothing recognised").foregroundStyle(.secondary)
                }
                ForEach(camera.labels) { label in
                    HStack {
                        Text(label.name).font(.title3.bold())
                        Spacer()
                        Text(String(format: "%.2f", Double(label.score))).font(.body.monospacedDigit())
                    }
                }
                HStack {
                    Picker("Label pack", selection: $camera.selectedPack) {
                        ForEach(camera.packs) { entry in
                            Text("\(entry.info.name) \(entry.info.version)").tag(entry.id)
                        }
                    }
                    .onChange(of: camera.selectedPack) { id in camera.select(pack: id) }
                    Spacer()
                    Button("Update pack") {
                        Task { await camera.update(from: packUpdateURL) }
                    }
                }
                Text(camera.status).font(.caption).foregroundStyle(.secondary)
            }
            .padding()
            .background(.ultraThinMaterial)
        }
        // Once per appearance; CameraModel.start runs its work only the first time.
        .task { await camera.start() }
    }
}
