import Metrics
import Synchronization

/// Counters of one listener or dialer, kept both here (so tests and status
/// pages can read them) and in swift-metrics (so `/metrics` exports them as
/// `cybermesh_wire_*`).
public final class LinkStatistics: Sendable {
    struct Counts {
        var closes: [String: UInt64] = [:]
        var established: UInt64 = 0
        var framesReceived: UInt64 = 0
        var framesSent: UInt64 = 0
        var framesDropped: UInt64 = 0
        var oversizeRefused: UInt64 = 0
        var bytesSent: UInt64 = 0
    }

    private let counts = Mutex(Counts())
    private let side: String

    /// `side` is "listener" or "dialer", a metric dimension.
    public init(side: String) { self.side = side }

    public func closes(reason label: String) -> UInt64 { counts.withLock { $0.closes[label, default: 0] } }
    public var allCloses: [String: UInt64] { counts.withLock { $0.closes } }
    public var established: UInt64 { counts.withLock { $0.established } }
    public var framesReceived: UInt64 { counts.withLock { $0.framesReceived } }
    public var framesSent: UInt64 { counts.withLock { $0.framesSent } }
    public var framesDropped: UInt64 { counts.withLock { $0.framesDropped } }
    /// Messages not sent because they would not fit in one frame.
    public var oversizeRefused: UInt64 { counts.withLock { $0.oversizeRefused } }

    func recordOversize(_ kind: MessageKind) {
        counts.withLock { $0.oversizeRefused += 1 }
        Counter(label: "cybermesh_wire_oversize_refused_total", dimensions: [("side", side), ("kind", kind.rawValue)]).increment()
    }

    func recordClose(_ reason: LinkCloseReason) {
        counts.withLock { $0.closes[reason.label, default: 0] += 1 }
        Counter(label: "cybermesh_wire_connections_closed_total", dimensions: [("side", side), ("reason", reason.label)]).increment()
    }

    func recordEstablished() {
        counts.withLock { $0.established += 1 }
        Counter(label: "cybermesh_wire_connections_established_total", dimensions: [("side", side)]).increment()
    }

    func recordReceived(frames: Int) {
        counts.withLock { $0.framesReceived += UInt64(frames) }
        Counter(label: "cybermesh_wire_frames_received_total", dimensions: [("side", side)]).increment(by: frames)
    }

    func recordSent(frames: Int, bytes: Int) {
        counts.withLock {
            $0.framesSent += UInt64(frames)
            $0.bytesSent += UInt64(bytes)
        }
        Counter(label: "cybermesh_wire_frames_sent_total", dimensions: [("side", side)]).increment(by: frames)
        Counter(label: "cybermesh_wire_sent_bytes_total", dimensions: [("side", side)]).increment(by: bytes)
    }

    func recordDrop() {
        counts.withLock { $0.framesDropped += 1 }
        Counter(label: "cybermesh_wire_frames_dropped_total", dimensions: [("side", side)]).increment()
    }
}
