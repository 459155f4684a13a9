import Logging
import Synchronization

/// An established link to one authenticated peer: send messages to it and
/// close it from any thread. Sending never blocks; a full outbound queue
/// drops the message and counts it.
public final class Link: Sendable, CustomStringConvertible {
    /// The peer, as its certificate proves and its Hello confirmed.
    public let peer: PeerIdentity
    let queue: OutboundQueue
    let wake: WakeSignal
    private let closeRequested = Atomic<Bool>(false)
    private let statistics: LinkStatistics
    private let maximumFrameBytes: Int
    private let logger: Logger

    init(peer: PeerIdentity, queue: OutboundQueue, wake: WakeSignal, statistics: LinkStatistics, maximumFrameBytes: Int, logger: Logger) {
        self.peer = peer
        self.queue = queue
        self.wake = wake
        self.statistics = statistics
        self.maximumFrameBytes = maximumFrameBytes
        self.logger = logger
    }

    /// Queues `message` for the peer. False when the queue is full (the
    /// message is dropped and counted), the message would not fit in a
    /// frame (not sent, logged and counted, the link stays up) or the link
    /// is closing.
    @discardableResult
    public func send(_ message: WireMessage) -> Bool {
        guard !isClosing else { return false }
        guard let frame = FrameCodec.frameIfItFits(message, maximumFrameBytes: maximumFrameBytes, statistics: statistics, logger: logger) else { return false }
        let accepted = queue.enqueue(frame)
        if accepted { wake.signal() } else { statistics.recordDrop() }
        return accepted
    }

    /// Asks the link's thread to close it; returns at once.
    public func close() {
        closeRequested.store(true, ordering: .releasing)
        wake.signal()
    }

    var isClosing: Bool { closeRequested.load(ordering: .acquiring) }

    public var description: String { "link to \(peer)" }
}
