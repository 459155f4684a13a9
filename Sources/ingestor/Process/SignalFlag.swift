import Foundation

/// Set by SIGINT or SIGTERM, so the loop can print its final figures.
final class SignalFlag: Sendable {
    private static let flag = SignalFlag()
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0

    var isSet: Bool { Self.raised != 0 }

    static func installInterruptHandler() -> SignalFlag {
        signal(SIGINT) { _ in SignalFlag.raised = 1 }
        signal(SIGTERM) { _ in SignalFlag.raised = 1 }
        return flag
    }
}
