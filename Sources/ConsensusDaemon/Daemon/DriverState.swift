import ConsensusCore
import Events
import Logging
import Metrics
import Wire

/// Everything the driver's thread owns: the replica, the storage, the
/// subscriptions. Only `ConsensusDriver`'s thread calls it (under its
/// mutex), so none of it needs to be thread-safe itself.
struct DriverState: @unchecked Sendable {
    /// Blocks sent to one lagging subscriber per turn, so a persister
    /// replaying from height 1 never holds up consensus.
    static let backlogBlocksPerTurn = 64
    /// Recent executed blocks kept in memory for live subscribers.
    static let recentBlocks = 256

    var replica: Replica
    let storage: ValidatorStorage
    let network: any PeerSender
    let logger: Logger
    let status: PublishedStatus
    let submissionTampering: SubmissionTampering
    /// Every committed transaction id, on disk (`already_committed` past the nonce TTL).
    let index: CommittedTransactionIndex
    let clock: DaemonClock
    var subscriptions: [ObjectIdentifier: Subscription] = [:]
    var recent: [UInt64: ExecutedBlock] = [:]
    var committedTransactions: UInt64 = 0
    var lastCommitMs: Int64?
    var lastLoggedView: UInt64 = 0
    var lastLoggedLeader: ValidatorID?
    var lastGenesisHeld = -1
    var lastRejections: [ValidatorID: String] = [:]
    var lastStatistics = Replica.Statistics()
    var lastViewChanges = 0
    var lagging = false
    var storageFailed = false
    let metrics = DriverMetrics()

    init(replica: Replica, storage: ValidatorStorage, index: CommittedTransactionIndex, network: any PeerSender, logger: Logger, status: PublishedStatus, submissionTampering: SubmissionTampering, clock: DaemonClock) {
        self.replica = replica
        self.storage = storage
        self.network = network
        self.logger = logger
        self.status = status
        self.submissionTampering = submissionTampering
        self.index = index
        self.clock = clock
    }

    /// Timers are checked at least this often, however busy the inbox:
    /// the core's deadlines are relative to its last step, so a steady
    /// stream of submissions must not postpone them forever.
    static let tickIntervalMs: Int64 = 50
    var lastTickMs: Int64 = 0

    /// When the thread must wake even without input.
    var nextWakeMs: Int64 {
        let timers = min(replica.nextDeadlineMs, lastTickMs + Self.tickIntervalMs)
        return lagging ? min(timers, clock.nowMs() + 5) : timers
    }

    mutating func start(nowMs: Int64) {
        let restoredHeight = storage.restored?.committedHeight ?? 0
        logger.info("validator starting", metadata: [
            "node_id": "\(replica.localID)", "validators": "\(replica.validatorSet.count)", "quorum": "\(replica.validatorSet.quorum.size)",
            "restored_height": "\(restoredHeight)", "stored_blocks": "\(storage.bottomHeight)-\(storage.topHeight)",
            "genesis_restored": "\(storage.restored?.genesisCertificate != nil)",
        ])
        for repair in storage.repairs { logger.warning("storage repaired on open", metadata: ["repair": "\(repair)"]) }
        var turn = Turn()
        turn.perform(replica.step(.start, nowMs: nowMs), state: &self)
        finish(&turn, nowMs: nowMs)
    }

    mutating func turn(_ inputs: [ConsensusDriver.Input], nowMs: Int64) {
        guard !storageFailed else { return }
        var turn = Turn()
        for input in inputs {
            switch input {
            case let .message(message, sender):
                turn.perform(replica.step(.receive(message, from: sender), nowMs: nowMs), state: &self)
            case let .submit(batch):
                submit(batch, turn: &turn, nowMs: nowMs)
            case let .subscribe(subscription):
                var subscription = subscription
                if subscription.nextHeight == 0 { subscription.nextHeight = replica.committedHeight + 1 }
                subscriptions[subscription.id] = subscription
                logger.info("subscriber joined", metadata: [
                    "peer": "\(subscription.peer)", "kind": "\(subscription.kind.rawValue)", "from_height": "\(subscription.nextHeight)",
                ])
            case let .unsubscribe(id):
                subscriptions[id] = nil
            case let .block(height, reply):
                reply(executedBlock(at: height))
            }
        }
        if nowMs >= replica.nextDeadlineMs || nowMs - lastTickMs >= Self.tickIntervalMs {
            lastTickMs = nowMs
            turn.perform(replica.step(.tick, nowMs: nowMs), state: &self)
        }
        finish(&turn, nowMs: nowMs)
    }

    private mutating func submit(_ batch: SubmissionBatch, turn: inout Turn, nowMs: Int64) {
        var results: [EventAdmission] = []
        var forged: [Hash32] = []
        results.reserveCapacity(batch.items.count)
        for item in batch.items {
            switch item {
            case let .answered(answer):
                results.append(answer)
            case let .ready(transaction):
                switch submissionTampering {
                case let .drop(falseNotices):
                    results.append(EventAdmission(transactionID: transaction.id, admission: .admitted))
                    if falseNotices { forged.append(transaction.id) }
                    continue
                case let .answerFull(untilMs) where nowMs < untilMs:
                    results.append(EventAdmission(transactionID: transaction.id, admission: .full))
                    continue
                default:
                    break
                }
                let actions = replica.step(.submitVerified(transaction), nowMs: nowMs)
                var admission = Admission.rejected("internal: no answer")
                for case let .admission(id, answer) in actions where id == transaction.id { admission = answer }
                results.append(EventAdmission(transactionID: transaction.id, admission: admission))
                turn.perform(actions, state: &self)
            }
        }
        metrics.count(results)
        turn.replies.append { batch.reply(SubmitResult(batchID: batch.batchID, results: results)) }
        if !forged.isEmpty {
            let notice = WireMessage.service(.commitNotices(CommitNotices(
                height: replica.committedHeight + 1, blockHash: Hash32(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) })!,
                blockTimeMs: nowMs, transactionIDs: forged)))
            for subscription in subscriptions.values where subscription.kind == .commits { _ = subscription.send(notice) }
        }
    }

    /// Makes the turn durable, then lets its effects out.
    private mutating func finish(_ turn: inout Turn, nowMs: Int64) {
        // A record of this turn that was not appended (or not made durable)
        // means none of its messages may leave: a vote sent but not logged
        // is one a restart could contradict. After a failed fsync nothing
        // written since is trusted (the kernel may have dropped the pages),
        // so the validator stops for good and must be restarted.
        guard !storageFailed else { return }
        do {
            try storage.sync()
        } catch {
            failStorage("fdatasync", error)
            return
        }
        for message in turn.outgoing {
            switch message {
            case let .broadcast(message): network.broadcast(message)
            case let .send(message, peer): network.send(message, to: peer)
            }
        }
        for reply in turn.replies { reply() }
        feedSubscribers()
        observe(nowMs: nowMs)
    }

    /// The disk failed: nothing of this turn leaves, nor anything after it
    /// (after a failed `fdatasync` the kernel may have dropped pages that
    /// reads still show). Said once in the log, in `/status`
    /// (`storage_failure`) and in `cybermesh_storage_failures_total`; the
    /// validator must be restarted once the disk is fixed.
    mutating func failStorage(_ operation: String, _ error: any Error) {
        guard !storageFailed else { return }
        storageFailed = true
        let reason = "\(operation) failed: \(error)"
        logger.critical("storage failed; this validator sends nothing more: restart it once the disk is fixed", metadata: [
            "operation": "\(operation)", "error": "\(error)",
        ])
        metrics.storageFailures.increment()
        status.update { $0.storageFailure = reason }
    }

    /// A stored block (memory first, then disk), for subscribers and `/blocks`.
    func executedBlock(at height: UInt64) -> ExecutedBlock? {
        if let block = recent[height] { return block }
        do {
            return try storage.block(at: height)
        } catch {
            logger.error("block store read failed", metadata: ["height": "\(height)", "error": "\(error)"])
            return nil
        }
    }

    private mutating func feedSubscribers() {
        var stillLagging = false
        let top = storage.topHeight
        for (id, var subscription) in subscriptions {
            var sent = 0
            while subscription.nextHeight <= top, sent < Self.backlogBlocksPerTurn {
                if subscription.nextHeight < storage.bottomHeight {
                    logger.warning("subscriber asked for heights this validator does not hold (installed a snapshot); skipping", metadata: [
                        "peer": "\(subscription.peer)", "from": "\(subscription.nextHeight)", "held_from": "\(storage.bottomHeight)",
                    ])
                    subscription.nextHeight = storage.bottomHeight
                }
                guard let block = executedBlock(at: subscription.nextHeight) else {
                    logger.warning("block not in this validator's store; the subscriber must get it from another validator", metadata: [
                        "peer": "\(subscription.peer)", "height": "\(subscription.nextHeight)",
                    ])
                    subscription.nextHeight += 1
                    continue
                }
                guard subscription.send(Subscription.message(for: block, kind: subscription.kind)) else { break }
                subscription.nextHeight += 1
                sent += 1
            }
            if subscription.nextHeight <= top { stillLagging = true }
            subscriptions[id] = subscription
        }
        lagging = stillLagging
    }

    /// Publishes status and metrics; logs what an operator needs to follow
    /// a stall: genesis progress, view changes, the believed leader, and
    /// what the core refused.
    private mutating func observe(nowMs: Int64) {
        let genesis = replica.genesisStatus
        if !replica.isActive {
            let held = genesis.attestationsHeld.count
            if held != lastGenesisHeld {
                lastGenesisHeld = held
                logger.info("genesis progress", metadata: [
                    "phase": "\(genesis.phase.rawValue)", "attestations_held": "\(held)", "quorum": "\(genesis.quorum)",
                    "from": "\(genesis.attestationsHeld.map(\.description).joined(separator: ","))",
                    "missing": "\(genesis.missing.map(\.description).joined(separator: ","))", "aggregator": "\(genesis.aggregator)",
                ])
            }
            for (peer, reason) in genesis.rejections where lastRejections[peer] != reason {
                logger.warning("genesis attestation rejected", metadata: ["from": "\(peer)", "reason": "\(reason)"])
            }
            lastRejections = genesis.rejections
        }
        if replica.view != lastLoggedView || replica.leader != lastLoggedLeader {
            logger.info("view", metadata: [
                "view": "\(replica.view)", "leader": "\(replica.leader)", "previous_view": "\(lastLoggedView)",
                "height": "\(replica.committedHeight)", "view_changes": "\(replica.viewChangeCount)",
            ])
            lastLoggedView = replica.view
            lastLoggedLeader = replica.leader
        }
        if replica.viewChangeCount != lastViewChanges {
            metrics.viewChanges.increment(by: Int64(replica.viewChangeCount - lastViewChanges))
            if replica.isChangingView {
                logger.info("view change started", metadata: ["target_view": "\(replica.targetView)", "suspected_leader": "\(replica.leader)"])
            }
            lastViewChanges = replica.viewChangeCount
        }
        let statistics = replica.statistics
        if statistics.rejectedBlocks > lastStatistics.rejectedBlocks {
            logger.warning("rejected committed blocks from a peer (bad certificate or contents)", metadata: ["total": "\(statistics.rejectedBlocks)"])
        }
        if statistics.rejectedSnapshots > lastStatistics.rejectedSnapshots {
            logger.warning("rejected a snapshot whose entries did not reproduce the certified root", metadata: ["total": "\(statistics.rejectedSnapshots)"])
        }
        if statistics.refusedProposals > lastStatistics.refusedProposals, let reason = statistics.lastRefusal {
            var metadata: Logger.Metadata = ["reason": "\(reason)", "total": "\(statistics.refusedProposals)"]
            if reason.contains(RejectionReason.unknownProducer.rawValue) {
                metadata["hint"] = "a producer unknown to this validator's trust store: add it to every validator's TRUST_STORE_FILE and send SIGHUP (docs/operations.md)"
            }
            logger.warning("refused to vote for a proposal", metadata: metadata)
        }
        if statistics.outOfRange > lastStatistics.outOfRange, let detail = statistics.lastOutOfRange {
            logger.warning("refused a message with a view or height out of range", metadata: ["detail": "\(detail)", "total": "\(statistics.outOfRange)"])
        }
        if statistics.abandonedTransfers > lastStatistics.abandonedTransfers {
            logger.warning("abandoned a snapshot transfer: the peer stalled or ran out of time", metadata: ["total": "\(statistics.abandonedTransfers)"])
        }
        metrics.countRefusals(statistics, since: lastStatistics)
        lastStatistics = statistics
        let peers = network.peerStates(nowMs: nowMs)
        let snapshot = replica
        status.update { status in
            status.height = snapshot.committedHeight
            status.lastBlockHash = snapshot.committedHeight > 0 ? snapshot.lastBlockHash : nil
            status.stateRoot = snapshot.committedHeight > 0 ? snapshot.stateRoot : nil
            status.view = snapshot.view
            status.leader = snapshot.leader
            status.changingView = snapshot.isChangingView
            status.viewChanges = snapshot.viewChangeCount
            status.genesis = genesis
            status.certificate = snapshot.genesisCertificate
            status.mempoolSize = snapshot.mempool.count
            status.mempoolBytes = snapshot.mempool.bytes
            status.mempool = snapshot.mempool.statistics
            status.committedTransactions = committedTransactions
            status.lastCommitMs = lastCommitMs
            status.reputation = snapshot.reputation
            status.statistics = statistics
            status.peers = peers
            status.storedBottom = storage.bottomHeight
            status.divergence = snapshot.divergence
        }
        metrics.publish(height: replica.committedHeight, view: replica.view, mempool: replica.mempool.count, genesisComplete: replica.isActive)
    }

    mutating func shutdown() {
        do { try storage.sync() } catch { logger.error("final sync failed", metadata: ["error": "\(error)"]) }
        storage.waitForSnapshotWriter()
        logger.info("validator stopped", metadata: ["height": "\(replica.committedHeight)"])
    }
}

/// What one driver turn will do once its records are durable.
struct Turn {
    enum Outgoing {
        case broadcast(ConsensusMessage)
        case send(ConsensusMessage, ValidatorID)
    }

    var outgoing: [Outgoing] = []
    var replies: [() -> Void] = []

    /// Persists and stores now (durable at the turn's sync); queues messages.
    mutating func perform(_ actions: [Replica.Action], state: inout DriverState) {
        for action in actions {
            switch action {
            case let .persist(record):
                do {
                    try state.storage.persist(record)
                } catch {
                    state.failStorage("write-ahead log append", error)
                }
            case let .activated(certificate):
                state.logger.info("genesis complete", metadata: [
                    "certificate": "\(certificate.hash(SodiumConsensusCrypto()).short)", "aggregator": "\(certificate.aggregator)",
                    "attestations": "\(certificate.attestations.count)", "round": "\(certificate.round)",
                ])
            case let .commit(block, execution):
                let executed = ExecutedBlock(block, execution)
                do {
                    try state.storage.store(executed)
                } catch {
                    state.failStorage("block store append", error)
                }
                state.indexTransactions(executed)
                state.recent[block.height] = executed
                state.recent[block.height &- UInt64(DriverState.recentBlocks)] = nil
                state.committedTransactions += UInt64(block.block.transactions.count)
                state.lastCommitMs = state.clock.nowMs()
                state.metrics.committedTransactions.increment(by: Int64(block.block.transactions.count))
                state.logger.debug("committed", metadata: [
                    "height": "\(block.height)", "hash": "\(block.blockHash.short)", "transactions": "\(block.block.transactions.count)",
                    "view": "\(block.view)", "state_root": "\(execution.stateRoot.short)",
                ])
            case let .stateTransferred(checkpoint):
                state.logger.info("installed a snapshot from peers", metadata: ["height": "\(checkpoint.height)", "state_root": "\(checkpoint.stateRoot.short)"])
            case let .diverged(divergence):
                state.metrics.divergences.increment()
                state.logger.critical(
                    "this validator's execution differs from what a quorum certified: it stopped voting and executing, and installs the cluster's next snapshot to recover",
                    metadata: ["divergence": "\(divergence)"])
            case .admission:
                break
            case let .broadcast(message):
                outgoing.append(.broadcast(message))
            case let .send(message, peer):
                outgoing.append(.send(message, peer))
            }
        }
    }
}

/// The daemon's Prometheus series (CONTRACT §7 names).
final class DriverMetrics: Sendable {
    let height = Gauge(label: "cybermesh_consensus_height")
    let view = Gauge(label: "cybermesh_consensus_view")
    let viewChanges = Counter(label: "cybermesh_consensus_view_changes_total")
    let committedTransactions = Counter(label: "cybermesh_consensus_committed_tx_total")
    let mempoolSize = Gauge(label: "cybermesh_mempool_size")
    /// Times this validator found its state root or outcomes differ from a quorum's.
    let divergences = Counter(label: "cybermesh_consensus_divergences_total")
    let storageFailures = Counter(label: "cybermesh_storage_failures_total")
    let genesisComplete = Gauge(label: "cybermesh_genesis_complete")
    let admissions: [String: Counter] = Dictionary(uniqueKeysWithValues: ["admitted", "duplicate", "already_committed", "full", "rate_limited", "rejected"].map {
        ($0, Counter(label: "cybermesh_submissions_total", dimensions: [("answer", $0)]))
    })

    func publish(height: UInt64, view: UInt64, mempool: Int, genesisComplete: Bool) {
        self.height.record(Double(height))
        self.view.record(Double(view))
        mempoolSize.record(Double(mempool))
        self.genesisComplete.record(genesisComplete ? 1 : 0)
    }

    /// What the core refused from peers, by reason (issue 11's bounds):
    /// `cybermesh_consensus_peer_refusals_total{reason}`.
    let peerRefusals: [String: Counter] = Dictionary(uniqueKeysWithValues: [
        "out_of_range", "throttled_request", "unresponsive_peer", "abandoned_transfer", "refused_proposal", "rejected_block", "rejected_snapshot",
    ].map { ($0, Counter(label: "cybermesh_consensus_peer_refusals_total", dimensions: [("reason", $0)])) })

    func countRefusals(_ now: Replica.Statistics, since before: Replica.Statistics) {
        let deltas: [(String, Int)] = [
            ("out_of_range", now.outOfRange - before.outOfRange),
            ("throttled_request", now.throttledRequests - before.throttledRequests),
            ("unresponsive_peer", now.unresponsivePeers - before.unresponsivePeers),
            ("abandoned_transfer", now.abandonedTransfers - before.abandonedTransfers),
            ("refused_proposal", now.refusedProposals - before.refusedProposals),
            ("rejected_block", now.rejectedBlocks - before.rejectedBlocks),
            ("rejected_snapshot", now.rejectedSnapshots - before.rejectedSnapshots),
        ]
        for (reason, delta) in deltas where delta > 0 { peerRefusals[reason]?.increment(by: Int64(delta)) }
    }

    func count(_ results: [EventAdmission]) {
        for result in results { admissions[result.admission.code]?.increment() }
    }
}
