import ConsensusCore
import Logging
import Synchronization
import Wire

/// The ingestor's Wire side: one link per validator (role `ingestor`).
/// Every event goes to every validator, so that no single (possibly
/// Byzantine) validator can drop it; answers and commit notices come back
/// per validator and are handed on with the validator's id, never merged.
///
/// Submissions are gathered per validator and sent in batches capped in
/// bytes under the frame limit; each validator's waiting batches are
/// bounded by its link's outbound queue (a down validator costs a bounded,
/// counted queue, and resubmission covers what was dropped).
final class ValidatorSubmitter: LinkHandler {
    /// What a validator said, for the intake to count.
    protocol Listener: AnyObject, Sendable {
        func validator(_ validator: ValidatorID, answered id: Hash32, _ admission: Admission)
        func validator(_ validator: ValidatorID, committed ids: [Hash32], height: UInt64)
        func validatorAnsweredWrongly(_ validator: ValidatorID, _ problem: String)
    }

    /// Largest batch, in event bytes: well under the 4 MiB frame limit.
    static let maximumBatchBytes = 1024 * 1024
    /// Batches awaiting an answer per validator, before the oldest are forgotten.
    static let maximumOutstandingBatches = 4_096

    private struct ValidatorState {
        var pending: [(id: Hash32, value: [UInt8])] = []
        var pendingBytes = 0
        var outstanding: [UInt64: [Hash32]] = [:]
        var outstandingOrder: [UInt64] = []
        var lastHeight: UInt64 = 0
        /// Transaction ids this validator reported committed (for /status).
        var noticed = 0
    }

    let validators: [ValidatorID]
    private let logger: Logger
    private let listener: Mutex<(any Listener)?> = Mutex(nil)
    private let dialers = Mutex<[ValidatorID: LinkDialer]>([:])
    private let state: Mutex<(nextBatch: UInt64, byValidator: [ValidatorID: ValidatorState])>

    init(setFile: ValidatorSetFile, logger: Logger) {
        validators = setFile.entries.map(\.id)
        self.logger = logger
        state = Mutex((1, Dictionary(uniqueKeysWithValues: setFile.entries.map { ($0.id, ValidatorState()) })))
    }

    /// Dials every validator. Answers reach `listener` from the links' threads.
    func connect(setFile: ValidatorSetFile, tls: TLSConfiguration, listener: any Listener) throws {
        self.listener.withLock { $0 = listener }
        var options = LinkOptions(chainID: setFile.chainID, logger: logger)
        options.outboundQueueFrames = 256
        options.outboundQueueBytes = 16 * 1024 * 1024
        let policy = LinkPolicy(allowedKinds: [.validator: [.submitResult, .commitNotices]])
        for entry in setFile.entries {
            let dialer = try LinkDialer(
                host: entry.host, port: entry.port, expectedPeer: PeerIdentity(role: .validator, nodeID: "\(entry.id)"),
                tls: tls, options: options, policy: policy, handler: self)
            dialers.withLock { $0[entry.id] = dialer }
        }
    }

    /// Queues events for `targets` (default: every validator); `flush` sends them.
    func submit(_ events: [(id: Hash32, value: [UInt8])], to targets: [ValidatorID]? = nil) {
        guard !events.isEmpty else { return }
        state.withLock { state in
            for validator in targets ?? validators where state.byValidator[validator] != nil {
                state.byValidator[validator]!.pending += events
                state.byValidator[validator]!.pendingBytes += events.reduce(0) { $0 + $1.value.count }
            }
        }
    }

    /// Sends what is queued, in batches of at most `maximumBatchBytes`.
    func flush() {
        let dialers = self.dialers.withLock { $0 }
        let batches: [(ValidatorID, SubmitEvents)] = state.withLock { state in
            var batches: [(ValidatorID, SubmitEvents)] = []
            for validator in validators {
                guard var entry = state.byValidator[validator], !entry.pending.isEmpty else { continue }
                var start = 0
                while start < entry.pending.count {
                    var end = start
                    var bytes = 0
                    while end < entry.pending.count, end == start || bytes + entry.pending[end].value.count <= Self.maximumBatchBytes {
                        bytes += entry.pending[end].value.count
                        end += 1
                    }
                    let slice = entry.pending[start..<end]
                    let batchID = state.nextBatch
                    state.nextBatch += 1
                    entry.outstanding[batchID] = slice.map(\.id)
                    entry.outstandingOrder.append(batchID)
                    batches.append((validator, SubmitEvents(batchID: batchID, events: slice.map(\.value))))
                    start = end
                }
                entry.pending = []
                entry.pendingBytes = 0
                if entry.outstandingOrder.count > Self.maximumOutstandingBatches {
                    let forget = entry.outstandingOrder.count - Self.maximumOutstandingBatches
                    for batchID in entry.outstandingOrder.prefix(forget) { entry.outstanding[batchID] = nil }
                    entry.outstandingOrder.removeFirst(forget)
                }
                state.byValidator[validator] = entry
            }
            return batches
        }
        for (validator, batch) in batches { dialers[validator]?.send(.service(.submitEvents(batch))) }
    }

    var linkedCount: Int { dialers.withLock { $0.values.filter(\.isConnected).count } }

    /// Per validator: linked, frames waiting in its link's queue, events
    /// waiting to be batched, frames dropped because its queue was full,
    /// transaction ids it reported committed.
    func queueFigures() -> [(validator: ValidatorID, linked: Bool, queuedFrames: Int, pendingEvents: Int, droppedFrames: UInt64, noticed: Int)] {
        let dialers = self.dialers.withLock { $0 }
        let counts = state.withLock { state in state.byValidator.mapValues { ($0.pending.count, $0.noticed) } }
        return validators.map { id in
            let dialer = dialers[id]
            return (id, dialer?.isConnected ?? false, dialer?.queuedFrames ?? 0, counts[id]?.0 ?? 0, dialer?.statistics.framesDropped ?? 0, counts[id]?.1 ?? 0)
        }
    }

    func stop() {
        for dialer in dialers.withLock({ Array($0.values) }) { dialer.stop() }
    }

    // MARK: LinkHandler

    func linkEstablished(_ link: Link) {
        guard let id = Self.validatorID(link.peer) else { return }
        let resume = state.withLock { $0.byValidator[id]?.lastHeight ?? 0 }
        // A Byzantine validator may have claimed any height: at the top of
        // the range, start from "now" rather than overflow.
        let from: UInt64 = resume == 0 || resume == .max ? 0 : resume + 1
        link.send(.service(.subscribeCommits(fromHeight: from)))
        logger.info("validator link up", metadata: ["validator": "\(id)", "commits_from": "\(from == 0 ? "now" : "\(from)")"])
    }

    func link(_ link: Link, received message: WireMessage) {
        guard let id = Self.validatorID(link.peer), let listener = listener.withLock({ $0 }) else { return }
        switch message {
        case let .service(.commitNotices(notices)):
            state.withLock { state in
                if let last = state.byValidator[id]?.lastHeight, notices.height > last { state.byValidator[id]!.lastHeight = notices.height }
                state.byValidator[id]?.noticed += notices.transactionIDs.count
            }
            listener.validator(id, committed: notices.transactionIDs, height: notices.height)
        case let .service(.submitResult(result)):
            let ids = state.withLock { state -> [Hash32]? in
                guard let ids = state.byValidator[id]?.outstanding.removeValue(forKey: result.batchID) else { return nil }
                state.byValidator[id]!.outstandingOrder.removeAll { $0 == result.batchID }
                return ids
            }
            guard let ids else {
                listener.validatorAnsweredWrongly(id, "an answer to batch \(result.batchID), which is not outstanding")
                return
            }
            guard ids.count == result.results.count else {
                listener.validatorAnsweredWrongly(id, "\(result.results.count) answers to a batch of \(ids.count) events")
                return
            }
            for (expected, answer) in zip(ids, result.results) {
                if let named = answer.transactionID, named != expected {
                    listener.validatorAnsweredWrongly(id, "an answer naming \(named) for event \(expected)")
                    continue
                }
                listener.validator(id, answered: expected, answer.admission)
            }
        default:
            break
        }
    }

    func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason) {
        guard let peer, let id = Self.validatorID(peer) else { return }
        // Answers to what was outstanding will not come; resubmission covers them.
        state.withLock { state in
            state.byValidator[id]?.outstanding = [:]
            state.byValidator[id]?.outstandingOrder = []
        }
        logger.info("validator link down", metadata: ["validator": "\(id)", "reason": "\(reason)"])
    }

    private static func validatorID(_ peer: PeerIdentity) -> ValidatorID? {
        UInt32(peer.nodeID).map { ValidatorID($0) }
    }
}
