import Dispatch
import Glibc

/// Runs an action on every SIGHUP (the conventional "re-read your
/// configuration" signal; CONTRACT §4 uses it for the trust store). The
/// action runs on a dispatch queue, never inside the signal handler, so it
/// may log and read files. Keep the value alive as long as the handling
/// should last.
public final class HangupSignal {
    private let source: DispatchSourceSignal

    public init(_ action: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "cybermesh.sighup"))
        source.setEventHandler(handler: action)
        source.resume()
    }

    deinit { source.cancel() }
}
