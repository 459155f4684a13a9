import Dispatch
import Foundation
import Logging
import Synchronization
import Wire

/// A validator listener and a dialer on 127.0.0.1 with a dev PKI in a
/// temporary directory: the fixture of the TLS benchmarks.
final class TLSLoopback: @unchecked Sendable {
    private let listener: LinkListener
    private let dialer: LinkDialer
    private let server = CountingEchoHandler()
    private let client = CountingEchoHandler()
    private let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cybermesh-bench-\(UUID().uuidString)").path
        let pki = DevPKI(directory: directory)
        let a = PeerIdentity(role: .validator, nodeID: "1")
        let b = PeerIdentity(role: .validator, nodeID: "2")
        try pki.generate(identities: [a, b])
        var options = LinkOptions(chainID: "bench", logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        options.outboundQueueFrames = 100_000
        options.outboundQueueBytes = 256 * 1024 * 1024
        let policy = LinkPolicy(allowedKinds: [.validator: [.echo]])
        server.answers = true
        listener = try LinkListener(port: 0, tls: pki.configuration(for: a), options: options, policy: policy, handler: server)
        dialer = try LinkDialer(host: "127.0.0.1", port: listener.port, expectedPeer: a, tls: pki.configuration(for: b), options: options, policy: policy, handler: client)
        while !dialer.isConnected { usleep(1_000) }
    }

    /// One Echo out, its reply back.
    func roundTrip(id: UInt64) {
        dialer.send(.echo(Echo(id: id, payload: [1, 2, 3, 4])))
        client.waitForReplies(1)
    }

    /// `frames` Echo messages sent as fast as the queue takes them; returns
    /// when the server has received them all.
    func transfer(frames: Int, payloadBytes: Int) {
        let payload = Array(repeating: UInt8(0xEE), count: payloadBytes)
        for index in 0..<frames {
            while !dialer.send(.echo(Echo(id: UInt64(index), payload: payload))) { usleep(100) }
        }
        server.waitForRequests(frames)
    }

    func stop() {
        dialer.stop()
        listener.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Counts echo requests and replies; wakes a waiter when a target is reached.
final class CountingEchoHandler: LinkHandler, @unchecked Sendable {
    var answers = false
    private let requests = DispatchSemaphore(value: 0)
    private let replies = DispatchSemaphore(value: 0)

    func linkEstablished(_ link: Link) {}
    func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason) {}

    func link(_ link: Link, received message: WireMessage) {
        guard case let .echo(echo) = message else { return }
        if echo.reply {
            replies.signal()
        } else {
            if answers { link.send(.echo(Echo(id: echo.id, payload: [], reply: true))) }
            requests.signal()
        }
    }

    func waitForReplies(_ count: Int) { for _ in 0..<count { replies.wait() } }

    func waitForRequests(_ count: Int) { for _ in 0..<count { requests.wait() } }
}
