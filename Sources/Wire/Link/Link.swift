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

    init(peer: PeerIdentity, queue: OutboundQueue, wake: WakeSignal, statistics: LinkStatistics) {
        self.peer = peer
        self.queue = queue
        self.wake = wake
        self.statistics = statistics
    }

    /// Queues `message` for the peer. False when the queue is full (the
    /// message is dropped and counted) or the link is closing.
    @discardableResult
    public func send(_ message: WireMessage) -> Bool {
        guard !isClosing else { return false }
        let accepted = queue.enqueue(FrameCodec.frame(EnvelopeCodec.encode(message)))
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
