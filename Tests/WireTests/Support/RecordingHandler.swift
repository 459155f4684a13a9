import Foundation
import Synchronization
@testable import Wire

/// A LinkHandler that records what happens and can answer Echo requests.
final class RecordingHandler: LinkHandler {
    struct Record {
        var established: [PeerIdentity] = []
        var received: [(PeerIdentity, WireMessage)] = []
        var closed: [(PeerIdentity?, LinkCloseReason)] = []
        var links: [Link] = []
    }

    let answersEcho: Bool
    private let record = Mutex(Record())

    init(answersEcho: Bool = false) { self.answersEcho = answersEcho }

    func linkEstablished(_ link: Link) {
        record.withLock {
            $0.established.append(link.peer)
            $0.links.append(link)
        }
    }

    func link(_ link: Link, received message: WireMessage) {
        record.withLock { $0.received.append((link.peer, message)) }
        if answersEcho, case let .echo(echo) = message, !echo.reply {
            link.send(.echo(Echo(id: echo.id, payload: echo.payload, reply: true)))
        }
    }

    func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason) {
        record.withLock { $0.closed.append((peer, reason)) }
    }

    var established: [PeerIdentity] { record.withLock { $0.established } }
    var received: [WireMessage] { record.withLock { $0.received.map(\.1) } }
    var closeReasons: [LinkCloseReason] { record.withLock { $0.closed.map(\.1) } }
    var links: [Link] { record.withLock { $0.links } }
}

/// Waits until `condition` holds, polling; false if it never does within
/// `seconds`. A generous bound for a loaded CI machine, not a timing claim.
func eventually(seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
