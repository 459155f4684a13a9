import ConsensusCore
import Events
import Foundation
import Logging
import Metrics
import Synchronization
import Wire

/// This validator's Wire links: one listener on the peer port for every
/// role (each limited to its own message kinds), and one dialer to every
/// other validator, which carries what this validator sends to it.
/// Messages a peer sends arrive on the link that peer dialed; the sender
/// is the node id its certificate proves, never what a message claims.
final class PeerNetwork: LinkHandler, PeerSender {
    let settings: DaemonSettings
    private let logger: Logger
    private let lastSeen = Mutex<[ValidatorID: Int64]>([:])
    private let dialers = Mutex<[ValidatorID: LinkDialer]>([:])
    private let listener = Mutex<LinkListener?>(nil)
    private let driver = Mutex<ConsensusDriver?>(nil)
    private let queries = Mutex<OperatorQueries?>(nil)
    private let transactions: EventTransactions
    private let rejectedSenders = Counter(label: "cybermesh_wire_rejected_total", dimensions: [("reason", "not_in_validator_set")])

    private let index: CommittedTransactionIndex

    init(settings: DaemonSettings, index: CommittedTransactionIndex, logger: Logger) {
        self.index = index
        self.settings = settings
        self.logger = logger
        self.transactions = EventTransactions(trustStoreFile: settings.trustStore)
    }

    static func policy() -> LinkPolicy {
        LinkPolicy(allowedKinds: [
            .validator: MessageKind.consensus,
            .ingestor: MessageKind.ingestorRequests,
            .persister: MessageKind.persisterRequests,
            .gateway: MessageKind.gatewayRequests,
        ])
    }

    var options: LinkOptions {
        var options = LinkOptions(chainID: settings.chainID, logger: logger)
        options.outboundQueueFrames = 20_000
        return options
    }

    /// Binds the peer port and dials every other validator.
    func start(driver: ConsensusDriver, queries: OperatorQueries) throws {
        self.driver.withLock { $0 = driver }
        self.queries.withLock { $0 = queries }
        let bound = try LinkListener(
            host: settings.peerListen.host, port: settings.peerListen.port, tls: settings.tls, options: options,
            policy: Self.policy(), handler: self)
        listener.withLock { $0 = bound }
        for entry in settings.setFile.entries where entry.id != settings.nodeID {
            let dialer = try LinkDialer(
                host: entry.host, port: entry.port, expectedPeer: PeerIdentity(role: .validator, nodeID: "\(entry.id)"),
                tls: settings.tls, options: options, policy: Self.policy(), handler: self)
            dialers.withLock { $0[entry.id] = dialer }
        }
    }

    func stop() {
        for dialer in dialers.withLock({ Array($0.values) }) { dialer.stop() }
        listener.withLock { $0 }?.stop()
    }

    // MARK: PeerSender

    func broadcast(_ message: ConsensusMessage) {
        for dialer in dialers.withLock({ Array($0.values) }) { dialer.send(.consensus(message)) }
    }

    func send(_ message: ConsensusMessage, to peer: ValidatorID) {
        dialers.withLock { $0[peer] }?.send(.consensus(message))
    }

    func peerStates(nowMs: Int64) -> [NodeStatus.Peer] {
        let seen = lastSeen.withLock { $0 }
        let connected = dialers.withLock { $0.mapValues(\.isConnected) }
        return settings.setFile.entries.map(\.id).filter { $0 != settings.nodeID }.map { id in
            NodeStatus.Peer(id: id, connected: connected[id] ?? false, lastSeenMs: seen[id])
        }
    }

    // MARK: LinkHandler

    func linkEstablished(_ link: Link) {
        logger.info("link up", metadata: ["peer": "\(link.peer)"])
    }

    func link(_ link: Link, received message: WireMessage) {
        switch message {
        case let .consensus(consensus):
            guard link.peer.role == .validator, let raw = UInt32(link.peer.nodeID), settings.validatorSet.contains(ValidatorID(raw)) else {
                rejectedSenders.increment()
                logger.warning("consensus message from a peer outside the validator set; closing", metadata: ["peer": "\(link.peer)", "kind": "\(consensus.kind)"])
                link.close()
                return
            }
            let sender = ValidatorID(raw)
            lastSeen.withLock { $0[sender] = settings.clock.nowMs() }
            driver.withLock { $0 }?.enqueue(.message(consensus, from: sender))
        case let .service(.submitEvents(batch)):
            submit(batch, from: link)
        case let .service(.subscribeCommits(fromHeight)):
            subscribe(link, kind: .commits, fromHeight: fromHeight)
        case let .service(.subscribeBlocks(fromHeight)):
            subscribe(link, kind: .blocks, fromHeight: max(fromHeight, 1))
        case let .service(.statusQuery(query)):
            queries.withLock { $0 }?.answer(path: query.path) { status, json in
                link.send(.service(.statusReply(StatusReply(id: query.id, httpStatus: status, json: json))))
            }
        default:
            logger.debug("ignored message", metadata: ["peer": "\(link.peer)", "kind": "\(message.kind.rawValue)"])
        }
    }

    func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason) {
        if let link {
            driver.withLock { $0 }?.enqueue(.unsubscribe(ObjectIdentifier(link)))
            logger.info("link down", metadata: ["peer": "\(link.peer)", "reason": "\(reason)"])
        } else {
            logger.info("connection refused", metadata: ["peer": "\(peer.map(\.description) ?? "unauthenticated")", "reason": "\(reason)"])
        }
    }

    // MARK: Services

    /// Decodes and (unless the ingestor is trusted) verifies a batch on
    /// this link's own thread, so the core's thread never checks a
    /// signature for a submission; then hands it to the core.
    private func submit(_ batch: SubmitEvents, from link: Link) {
        let trusted = settings.trustedIngestor == link.peer.nodeID
        let nowMs = settings.clock.nowMs()
        // The trust store in force, read once per batch (a SIGHUP reload
        // takes effect at the next one).
        let validator = transactions.validator
        let items = batch.events.map { record -> SubmissionBatch.Item in
            switch EventTransactions.transaction(from: record) {
            case let .failure(rejection):
                return .answered(EventAdmission(transactionID: nil, admission: .rejected(rejection.description)))
            case let .success((transaction, event)):
                let tolerance = validator.configuration.clockSkewToleranceMs
                let outsideWindow = event.timestampMs < nowMs &- tolerance || event.timestampMs > nowMs &+ tolerance
                // Outside the timestamp window even the trusted ingestor's
                // events are checked here: the core's own age limit is the
                // longer nonce TTL, and the ingestor passes stale events on
                // for the validators to judge.
                guard outsideWindow || !trusted else { return .ready(transaction) }
                if event.timestampMs < nowMs &- tolerance {
                    // Older than the window: committed long ago (past the
                    // nonce TTL), or stale. Signed events only (checked
                    // first, so an unsigned record cannot make the index
                    // read), then the on-disk index tells them apart, so an
                    // ingestor back from a long pause learns what was
                    // committed while it was away.
                    if case let .failure(problem) = validator.validate(event: event, topicDomain: nil, nowMs: nil) {
                        return .answered(EventAdmission(transactionID: transaction.id, admission: .rejected(problem.description)))
                    }
                    if index.contains(transaction.id, timestampMs: event.timestampMs) {
                        return .answered(EventAdmission(transactionID: transaction.id, admission: .alreadyCommitted))
                    }
                }
                if case let .failure(problem) = validator.validate(event: event, topicDomain: nil, nowMs: nowMs) {
                    return .answered(EventAdmission(transactionID: transaction.id, admission: .rejected(problem.description)))
                }
                return .ready(transaction)
            }
        }
        driver.withLock { $0 }?.enqueue(.submit(SubmissionBatch(batchID: batch.batchID, items: items) { result in
            link.send(.service(.submitResult(result)))
        }))
    }

    private func subscribe(_ link: Link, kind: Subscription.Kind, fromHeight: UInt64) {
        driver.withLock { $0 }?.enqueue(.subscribe(Subscription(
            id: ObjectIdentifier(link), kind: kind, peer: link.peer.description, nextHeight: fromHeight,
            send: { link.send($0) })))
    }
}
