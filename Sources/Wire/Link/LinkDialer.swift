import Dispatch
import Foundation
import Glibc
import Synchronization

/// Keeps one link to a known peer open: connects, authenticates (the
/// peer's certificate must name `expectedPeer`), and after any close
/// reconnects with capped exponential backoff and jitter. Messages sent while
/// disconnected wait in the bounded outbound queue and go out after the
/// next Hello.
public final class LinkDialer: Sendable {
    public let host: String
    public let port: UInt16
    public let expectedPeer: PeerIdentity
    public let statistics = LinkStatistics(side: "dialer")

    private let context: TLSContext
    private let options: LinkOptions
    private let policy: LinkPolicy
    private let handler: LinkHandler
    private let queue: OutboundQueue
    private let wake = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    private let connected = ConnectedFlag()
    private let finished = DispatchGroup()

    public init(
        host: String, port: UInt16, expectedPeer: PeerIdentity, tls: TLSConfiguration,
        options: LinkOptions, policy: LinkPolicy, handler: LinkHandler
    ) throws(LinkError) {
        do {
            context = try TLSContext(configuration: tls, side: .client)
        } catch {
            throw .tls(error)
        }
        self.host = host
        self.port = port
        self.expectedPeer = expectedPeer
        self.options = options
        self.policy = policy
        self.handler = handler
        self.queue = OutboundQueue(maximumFrames: options.outboundQueueFrames, maximumBytes: options.outboundQueueBytes)
        finished.enter()
        let thread = Thread { [self] in
            dialLoop()
            finished.leave()
        }
        thread.name = "wire-dial-\(expectedPeer)"
        thread.start()
    }

    /// Whether the link is up (Hello exchanged) right now.
    public var isConnected: Bool { connected.value }

    /// Frames waiting for the peer (bounded by `LinkOptions.outboundQueueFrames`).
    public var queuedFrames: Int { queue.queuedFrames }

    /// Queues a message for the peer, connected or not. False when the queue
    /// is full (dropped and counted).
    @discardableResult
    public func send(_ message: WireMessage) -> Bool {
        guard let frame = FrameCodec.frameIfItFits(message, maximumFrameBytes: options.maximumFrameBytes, statistics: statistics, logger: options.logger)
        else { return false }
        let accepted = queue.enqueue(frame)
        if accepted { wake.signal() } else { statistics.recordDrop() }
        return accepted
    }

    /// Closes the link, stops reconnecting and waits for the thread.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        finished.wait()
    }

    private func dialLoop() {
        var backoff = Backoff(baseMs: options.reconnectBaseMs, capMs: options.reconnectCapMs)
        var generator = SystemRandomNumberGenerator()
        let tracker = ConnectionTracker(handler: handler, connected: connected)
        while !stopping.load(ordering: .acquiring) {
            do {
                let fd = try Socket.connect(host: host, port: port, timeoutMs: options.connectTimeoutMs)
                let session: TLSSession
                do {
                    session = try TLSSession(context: context, fd: fd)
                } catch {
                    close(fd)
                    throw LinkError.tls(error)
                }
                let runner = ConnectionRunner(
                    session: session, options: options, policy: policy, handler: tracker, statistics: statistics,
                    localIdentity: context.localIdentity, expectedPeer: expectedPeer, queue: queue, wake: wake)
                _ = runner.run(stopping: { stopping.load(ordering: .acquiring) })
                if runner.link != nil { backoff.reset() }
            } catch {
                options.logger.debug("connect failed", metadata: ["peer": "\(expectedPeer)", "address": "\(host):\(port)", "error": "\(error)"])
            }
            guard !stopping.load(ordering: .acquiring) else { break }
            let delay = backoff.nextDelayMs(unitRandom: Double.random(in: 0..<1, using: &generator))
            var entry = pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0)
            // Sleep for the backoff, but wake at once on stop(). Sends during
            // the wait also wake it; the loop then just waits again.
            let until = MonotonicClock.nowMs() + Int64(delay)
            while !stopping.load(ordering: .acquiring) {
                let remaining = until - MonotonicClock.nowMs()
                if remaining <= 0 { break }
                _ = poll(&entry, 1, Int32(remaining))
                wake.drain()
            }
        }
    }
}

/// Whether a dialer's link is up; shared between the dialer and its tracker.
private final class ConnectedFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var value: Bool { flag.load(ordering: .acquiring) }
    func set(_ value: Bool) { flag.store(value, ordering: .releasing) }
}

/// Tracks whether a dialer's link is up, then forwards to the user's handler.
private final class ConnectionTracker: LinkHandler {
    let handler: LinkHandler
    let connected: ConnectedFlag

    init(handler: LinkHandler, connected: ConnectedFlag) {
        self.handler = handler
        self.connected = connected
    }

    func linkEstablished(_ link: Link) {
        connected.set(true)
        handler.linkEstablished(link)
    }

    func link(_ link: Link, received message: WireMessage) {
        handler.link(link, received: message)
    }

    func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason) {
        connected.set(false)
        handler.linkClosed(link, peer: peer, reason: reason)
    }
}
