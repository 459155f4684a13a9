import ConsensusCore
import Logging
import Synchronization
import Wire

/// One Wire link per validator (role `ingestor`): submissions go to every
/// validator, so no single Byzantine validator can drop an event; each
/// link also carries that validator's commit notices, resumed from the last
/// height it reported after a reconnect.
final class ValidatorClients: LinkHandler {
    private let tracker: CommitTracker
    private let logger: Logger
    private let dialers = Mutex<[ValidatorID: LinkDialer]>([:])

    init(tracker: CommitTracker, logger: Logger) {
        self.tracker = tracker
        self.logger = logger
    }

    func connect(to setFile: ValidatorSetFile, tls: TLSConfiguration) throws {
        var options = LinkOptions(chainID: setFile.chainID, logger: logger)
        options.outboundQueueFrames = 50_000
        let policy = LinkPolicy(allowedKinds: [.validator: [.submitResult, .commitNotices]])
        for entry in setFile.entries {
            let dialer = try LinkDialer(
                host: entry.host, port: entry.port, expectedPeer: PeerIdentity(role: .validator, nodeID: "\(entry.id)"),
                tls: tls, options: options, policy: policy, handler: self)
            dialers.withLock { $0[entry.id] = dialer }
        }
    }

    var connectedCount: Int { dialers.withLock { $0.values.filter(\.isConnected).count } }

    func submit(_ batch: SubmitEvents) {
        for dialer in dialers.withLock({ Array($0.values) }) { dialer.send(.service(.submitEvents(batch))) }
    }

    func stop() {
        for dialer in dialers.withLock({ Array($0.values) }) { dialer.stop() }
    }

    func linkEstablished(_ link: Link) {
        guard let raw = UInt32(link.peer.nodeID) else { return }
        let id = ValidatorID(raw)
        let resume = tracker.height(of: id)
        link.send(.service(.subscribeCommits(fromHeight: resume == 0 ? 0 : resume + 1)))
        logger.info("validator link up", metadata: ["validator": "\(id)", "commits_from": "\(resume == 0 ? "now" : "\(resume + 1)")"])
    }

    func link(_ link: Link, received message: WireMessage) {
        guard let raw = UInt32(link.peer.nodeID) else { return }
        let id = ValidatorID(raw)
        switch message {
        case let .service(.commitNotices(notices)):
            tracker.committed(notices.transactionIDs, height: notices.height, by: id, atMs: WallClock.nowMs())
        case let .service(.submitResult(result)):
            for answer in result.results where answer.admission != .admitted {
                tracker.refused(answer.admission.code)
                if case let .rejected(reason) = answer.admission {
                    logger.debug("event rejected", metadata: ["validator": "\(id)", "reason": "\(reason)"])
                }
            }
        default:
            break
        }
    }

    func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason) {
        logger.info("validator link down", metadata: ["validator": "\(peer?.nodeID ?? "?")", "reason": "\(reason)"])
    }
}
