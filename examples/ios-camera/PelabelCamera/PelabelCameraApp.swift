// Entry point of the pelabel camera example.

import SwiftUI

@main
struct PelabelCameraApp: App {
    var body: some Scene {
        WindowGroup {
            ContentView()
        }
    }
}
