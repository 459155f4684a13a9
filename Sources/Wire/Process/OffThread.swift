import Foundation

/// Runs blocking work (joining threads, pacing loops, blocking C calls) on
/// a thread of its own and awaits it, so that nothing blocking ever runs on
/// Swift concurrency's cooperative pool.
public enum OffThread {
    public static func run(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                work()
                continuation.resume()
            }
            thread.start()
        }
    }
}
