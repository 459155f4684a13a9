import Dispatch
import Foundation
import Glibc
import Synchronization

/// Accepts mutual-TLS links on one TCP port. Each connection gets its own
/// thread (see `ConnectionRunner`); a connection that misbehaves is closed
/// with a logged reason and a counter while every other one carries on.
public final class LinkListener: Sendable {
    /// The bound port (the one asked for, or the one picked for port 0).
    public let port: UInt16
    public let host: String
    public let statistics = LinkStatistics(side: "listener")

    private let listenFD: Int32
    private let context: TLSContext
    private let options: LinkOptions
    private let policy: LinkPolicy
    private let handler: LinkHandler
    private let wake = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    private let threads = DispatchGroup()
    private let active = Mutex<[ObjectIdentifier: WakeSignal]>([:])
    private let connectionCount = Atomic<Int>(0)

    /// Binds `host:port` (port 0 picks one) and starts accepting.
    public init(
        host: String = "127.0.0.1", port: UInt16, tls: TLSConfiguration, options: LinkOptions,
        policy: LinkPolicy, handler: LinkHandler
    ) throws(LinkError) {
        do {
            context = try TLSContext(configuration: tls, side: .server)
        } catch {
            throw .tls(error)
        }
        let (fd, boundPort) = try Socket.listen(host: host, port: port)
        Socket.setNonBlocking(fd)
        self.listenFD = fd
        self.port = boundPort
        self.host = host
        self.options = options
        self.policy = policy
        self.handler = handler
        options.logger.info("listening", metadata: ["address": "\(host):\(boundPort)", "identity": "\(context.localIdentity)"])
        threads.enter()
        let thread = Thread { [self] in
            acceptLoop()
            threads.leave()
        }
        thread.name = "wire-accept-\(boundPort)"
        thread.start()
    }

    /// This process's identity from its certificate.
    public var localIdentity: PeerIdentity { context.localIdentity }

    /// Connections currently held.
    public var connectionsOpen: Int { connectionCount.load(ordering: .relaxed) }

    /// Stops accepting, closes every link and waits for their threads.
    /// Blocks briefly: call it from a thread, not from a hot async path.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else {
            threads.wait()
            return
        }
        wake.signal()
        for signal in active.withLock({ Array($0.values) }) { signal.signal() }
        threads.wait()
        close(listenFD)
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            var fds = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&fds, 2, 1_000)
            if fds[1].revents != 0 { wake.drain() }
            guard fds[0].revents != 0 else { continue }
            while true {
                let fd = accept(listenFD, nil, nil)
                guard fd >= 0 else { break }
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                Socket.setNonBlocking(fd)
                Socket.setNoDelay(fd)
                start(fd)
            }
        }
    }

    private func start(_ fd: Int32) {
        guard connectionCount.wrappingAdd(1, ordering: .relaxed).newValue <= options.maximumConnections else {
            connectionCount.wrappingSubtract(1, ordering: .relaxed)
            close(fd)
            statistics.recordClose(.connectionLimit)
            options.logger.warning("connection refused", metadata: ["reason": "connection_limit", "limit": "\(options.maximumConnections)"])
            handler.linkClosed(nil, peer: nil, reason: .connectionLimit)
            return
        }
        let session: TLSSession
        do {
            session = try TLSSession(context: context, fd: fd)
        } catch {
            close(fd)
            connectionCount.wrappingSubtract(1, ordering: .relaxed)
            statistics.recordClose(.handshakeFailed(error.description))
            return
        }
        let wake = WakeSignal()
        let key = ObjectIdentifier(wake)
        active.withLock { $0[key] = wake }
        let runner = ConnectionRunner(
            session: session, options: options, policy: policy, handler: handler, statistics: statistics,
            localIdentity: context.localIdentity, expectedPeer: nil,
            queue: OutboundQueue(maximumFrames: options.outboundQueueFrames, maximumBytes: options.outboundQueueBytes),
            wake: wake)
        let box = UncheckedSendable(runner)
        threads.enter()
        let thread = Thread { [self] in
            _ = box.value.run(stopping: { stopping.load(ordering: .acquiring) })
            active.withLock { _ = $0.removeValue(forKey: key) }
            connectionCount.wrappingSubtract(1, ordering: .relaxed)
            threads.leave()
        }
        thread.name = "wire-conn"
        thread.start()
    }
}

/// Hands a value that is not Sendable to exactly one other thread, which
/// becomes its only user. Each use documents that hand-over.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
