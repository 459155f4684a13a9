import Glibc
import Logging

/// Drives one TLS connection on its own thread, from handshake to close:
/// TLS handshake, certificate identity, Hello both ways, then frames in and
/// out with heartbeats and an idle timeout.
///
/// One thread per connection multiplexes reading and writing with `poll`
/// on a non-blocking socket (plus a wake pipe for new outbound frames and
/// close requests), because OpenSSL forbids concurrent `SSL_read` and
/// `SSL_write` on one `SSL`. No call here ever blocks Swift concurrency's
/// cooperative pool: this code runs only on threads the Wire creates.
final class ConnectionRunner {
    private enum Phase { case awaitingHello, open }

    private let session: TLSSession
    private let options: LinkOptions
    private let policy: LinkPolicy
    private let handler: LinkHandler
    private let statistics: LinkStatistics
    private let localIdentity: PeerIdentity
    private let expectedPeer: PeerIdentity?
    private let queue: OutboundQueue
    private let wake: WakeSignal
    private var logger: Logger

    private var decoder: FrameDecoder
    private var writeBuffer: [UInt8] = []
    private var writeOffset = 0
    private var framesInWriteBuffer = 0
    private var writeWaitsForWritable = false
    private var heartbeatSequence: UInt64 = 0
    private var lastReceivedMs: Int64 = 0
    private var lastSentMs: Int64 = 0
    private(set) var link: Link?
    private(set) var peer: PeerIdentity?

    init(
        session: TLSSession, options: LinkOptions, policy: LinkPolicy, handler: LinkHandler,
        statistics: LinkStatistics, localIdentity: PeerIdentity, expectedPeer: PeerIdentity?,
        queue: OutboundQueue, wake: WakeSignal
    ) {
        self.session = session
        self.options = options
        self.policy = policy
        self.handler = handler
        self.statistics = statistics
        self.localIdentity = localIdentity
        self.expectedPeer = expectedPeer
        self.queue = queue
        self.wake = wake
        self.logger = options.logger
        self.decoder = FrameDecoder(maximumFrameBytes: options.maximumFrameBytes)
    }

    /// Runs until the link closes; records and reports the reason. `stopping`
    /// is polled so a listener or dialer shutting down closes the link.
    func run(stopping: () -> Bool) -> LinkCloseReason {
        let reason = runUntilClosed(stopping: stopping)
        if reason.isProtocolViolation {
            sendErrorBestEffort(reason)
        }
        session.close()
        statistics.recordClose(reason)
        var metadata: Logger.Metadata = ["reason": "\(reason.label)", "detail": "\(reason)"]
        if let peer { metadata["peer"] = "\(peer)" }
        if reason == .localClose || reason == .peerClosed {
            logger.info("link closed", metadata: metadata)
        } else {
            logger.warning("link closed", metadata: metadata)
        }
        handler.linkClosed(link, peer: peer, reason: reason)
        return reason
    }

    private func runUntilClosed(stopping: () -> Bool) -> LinkCloseReason {
        let deadline = MonotonicClock.nowMs() + Int64(options.handshakeTimeoutMs)
        if let failure = handshake(deadline: deadline) { return failure }
        let identity: PeerIdentity
        do {
            identity = try session.peerIdentity()
        } catch {
            return .badCertificate(error.description)
        }
        peer = identity
        logger[metadataKey: "peer"] = "\(identity)"
        if let expectedPeer, expectedPeer != identity {
            return .badCertificate("expected \(expectedPeer), the certificate says \(identity)")
        }
        guard policy.admits(identity.role) else { return .roleNotAllowed(identity.role) }
        appendFrame(.hello(Hello(role: localIdentity.role, nodeID: localIdentity.nodeID, chainID: options.chainID)))
        return exchange(helloDeadline: deadline, stopping: stopping)
    }

    private func handshake(deadline: Int64) -> LinkCloseReason? {
        while true {
            switch session.handshakeStep() {
            case .done: return nil
            case .wantRead: if !waitFor(Int16(POLLIN), until: deadline) { return .handshakeTimeout }
            case .wantWrite: if !waitFor(Int16(POLLOUT), until: deadline) { return .handshakeTimeout }
            case .closed: return .handshakeFailed("the peer closed the connection during the handshake")
            case let .failed(detail): return .handshakeFailed(detail)
            }
        }
    }

    /// Waits for the socket to be ready; false on timeout.
    private func waitFor(_ events: Int16, until deadline: Int64) -> Bool {
        let remaining = deadline - MonotonicClock.nowMs()
        guard remaining > 0 else { return false }
        var entry = pollfd(fd: session.fd, events: events, revents: 0)
        return poll(&entry, 1, Int32(clamping: remaining)) > 0
    }

    private func exchange(helloDeadline: Int64, stopping: () -> Bool) -> LinkCloseReason {
        var phase = Phase.awaitingHello
        let now = MonotonicClock.nowMs()
        lastReceivedMs = now
        lastSentMs = now
        var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if stopping() || (link?.isClosing ?? false) { return .localClose }
            if phase == .open { fillWriteBuffer() }
            if let failure = flushWrites() { return failure }

            var fds = [
                pollfd(fd: session.fd, events: Int16(POLLIN) | (writeWaitsForWritable ? Int16(POLLOUT) : 0), revents: 0),
                pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0),
            ]
            let current = MonotonicClock.nowMs()
            let nextDeadline = phase == .awaitingHello
                ? helloDeadline
                : min(lastReceivedMs + Int64(options.idleTimeoutMs), lastSentMs + Int64(options.heartbeatIntervalMs))
            let timeout = max(0, min(nextDeadline - current, 1_000))
            _ = poll(&fds, 2, Int32(timeout))
            if fds[1].revents != 0 { wake.drain() }

            if let failure = readAvailable(into: &readBuffer, phase: &phase) { return failure }

            let after = MonotonicClock.nowMs()
            switch phase {
            case .awaitingHello:
                if after >= helloDeadline { return .handshakeTimeout }
            case .open:
                if after - lastReceivedMs >= Int64(options.idleTimeoutMs) { return .idleTimeout }
                if after - lastSentMs >= Int64(options.heartbeatIntervalMs), writeOffset == writeBuffer.count {
                    heartbeatSequence += 1
                    appendFrame(.heartbeat(Heartbeat(sequence: heartbeatSequence, sentMs: WallClock.nowMs())))
                }
            }
        }
    }

    /// Reads until OpenSSL has nothing more; handles every complete frame.
    private func readAvailable(into buffer: inout [UInt8], phase: inout Phase) -> LinkCloseReason? {
        while true {
            let result = buffer.withUnsafeMutableBytes { session.read(into: $0) }
            switch result {
            case let .done(count):
                do {
                    try decoder.feed(buffer[0..<count])
                    var frames = 0
                    while let payload = try decoder.nextFrame() {
                        frames += 1
                        if let failure = handle(payload, phase: &phase) {
                            statistics.recordReceived(frames: frames)
                            return failure
                        }
                    }
                    if frames > 0 {
                        lastReceivedMs = MonotonicClock.nowMs()
                        statistics.recordReceived(frames: frames)
                    }
                } catch {
                    return .badFrame(error)
                }
            case .wantRead:
                return nil
            case .wantWrite:
                writeWaitsForWritable = true
                return nil
            case .closed:
                return .peerClosed
            case let .failed(detail):
                return .ioError(detail)
            }
        }
    }

    private func handle(_ payload: [UInt8], phase: inout Phase) -> LinkCloseReason? {
        let message: WireMessage
        do {
            message = try EnvelopeCodec.decode(payload)
        } catch {
            return .badEnvelope(error)
        }
        guard let peer else { return .badCertificate("no peer identity") }
        switch phase {
        case .awaitingHello:
            guard case let .hello(hello) = message else { return .badHello("the first frame was \(message.kind.rawValue), not hello") }
            if let problem = check(hello, against: peer) { return .badHello(problem) }
            phase = .open
            let link = Link(peer: peer, queue: queue, wake: wake, statistics: statistics, maximumFrameBytes: options.maximumFrameBytes, logger: logger)
            self.link = link
            statistics.recordEstablished()
            logger.info("link established", metadata: ["chain_id": "\(hello.chainID)"])
            handler.linkEstablished(link)
            return nil
        case .open:
            if case .hello = message { return .badHello("a second Hello on an open link") }
            guard policy.permits(message.kind, from: peer.role) else { return .messageNotAllowed(message.kind, peer.role) }
            if case .heartbeat = message { return nil }
            if case let .error(error) = message {
                logger.warning("peer reported an error", metadata: ["code": "\(error.code)", "message": "\(error.message)"])
            }
            handler.link(link!, received: message)
            return nil
        }
    }

    private func check(_ hello: Hello, against peer: PeerIdentity) -> String? {
        if hello.protocolVersion != WireProtocol.version {
            return "protocol version \(hello.protocolVersion); this build speaks \(WireProtocol.version)"
        }
        if hello.role != peer.role { return "Hello claims role \(hello.role.rawValue), the certificate says \(peer.role.rawValue)" }
        if hello.nodeID != peer.nodeID { return "Hello claims node \(hello.nodeID), the certificate says \(peer.nodeID)" }
        if hello.chainID != options.chainID { return "chain \(hello.chainID), this node is on \(options.chainID)" }
        return nil
    }

    private func appendFrame(_ message: WireMessage) {
        FrameCodec.append(payload: EnvelopeCodec.encode(message), to: &writeBuffer)
        framesInWriteBuffer += 1
    }

    /// Takes everything queued into the write buffer once it is empty, so
    /// one TLS write carries many frames.
    private func fillWriteBuffer() {
        guard writeOffset == writeBuffer.count else { return }
        writeBuffer.removeAll(keepingCapacity: writeBuffer.capacity <= 1 << 20)
        writeOffset = 0
        framesInWriteBuffer = queue.drain(into: &writeBuffer)
    }

    private func flushWrites() -> LinkCloseReason? {
        writeWaitsForWritable = false
        while writeOffset < writeBuffer.count {
            let result = writeBuffer.withUnsafeBytes { bytes in
                session.write(UnsafeRawBufferPointer(rebasing: bytes[writeOffset...]))
            }
            switch result {
            case let .done(count):
                writeOffset += count
                lastSentMs = MonotonicClock.nowMs()
                if writeOffset == writeBuffer.count {
                    statistics.recordSent(frames: framesInWriteBuffer, bytes: writeBuffer.count)
                    framesInWriteBuffer = 0
                }
            case .wantWrite:
                writeWaitsForWritable = true
                return nil
            case .wantRead:
                return nil
            case .closed:
                return .peerClosed
            case let .failed(detail):
                return .ioError(detail)
            }
        }
        return nil
    }

    /// Tells the peer why it is being disconnected, if the socket takes it now.
    private func sendErrorBestEffort(_ reason: LinkCloseReason) {
        // Never interleave with a half-written frame.
        guard writeOffset == writeBuffer.count else { return }
        var frame: [UInt8] = []
        FrameCodec.append(payload: EnvelopeCodec.encode(.error(WireErrorMessage(code: reason.label, message: reason.description))), to: &frame)
        _ = frame.withUnsafeBytes { session.write($0) }
    }
}
