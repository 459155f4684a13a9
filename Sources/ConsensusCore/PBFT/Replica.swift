/// One validator's consensus as a pure, deterministic state machine: the
/// genesis ceremony, then PBFT. Feed it events with the current time; it
/// returns actions. No clock, socket, thread, file or random source inside
/// (ARCHITECTURE §5): the daemon and the simulator drive the same code.
///
/// Output order is the contract: every `.persist` comes before the
/// `.commit`s and every message of the same step, so a driver that performs
/// them in order never sends a vote it has not made durable.
public struct Replica: Sendable {
    public enum Event: Sendable {
        /// First event after construction (fresh or restored).
        case start
        /// Time passed; timers are checked.
        case tick
        case receive(ConsensusMessage, from: ValidatorID)
        /// A client transaction arrived; the replica verifies it (once) if it
        /// would otherwise admit it.
        case submit(Transaction)
        /// A client transaction the driver has already verified, or that
        /// came from an ingestor this validator trusts: it is not verified
        /// again (the daemon verifies on its own threads, off the core's).
        case submitVerified(Transaction)
    }

    public enum Action: Hashable, Sendable {
        case persist(PersistRecord)
        /// Genesis completed (or was restored): consensus is active.
        case activated(GenesisCertificate)
        /// A block is committed and executed, in height order: its outcomes
        /// and state root.
        case commit(CommittedBlock, BlockExecution)
        /// This replica was too far behind and installed a snapshot: heights
        /// up to the checkpoint were not executed here one by one.
        case stateTransferred(StableCheckpoint)
        /// This replica's execution differs from what a quorum certified:
        /// it stopped voting and executing until a snapshot repairs it.
        case diverged(Divergence)
        /// The answer to a `.submit`.
        case admission(Hash32, Admission)
        case broadcast(ConsensusMessage)
        case send(ConsensusMessage, to: ValidatorID)
    }

    /// Counters of what the replica refused or repaired, for metrics and
    /// the scenarios that check detection.
    public struct Statistics: Equatable, Sendable {
        /// Committed blocks from a peer whose certificate or contents did not verify.
        public var rejectedBlocks = 0
        /// Snapshots whose entries did not reproduce the certified root.
        public var rejectedSnapshots = 0
        public var snapshotsInstalled = 0
        public var stableCheckpoints = 0
        /// Proposals this replica would not vote for, and why the last one.
        public var refusedProposals = 0
        public var lastRefusal: String?
        /// Catch-up requests that brought nothing (the peer was passed over).
        public var unresponsivePeers = 0
        /// Snapshot transfers given up: the peer stalled or ran out of time.
        public var abandonedTransfers = 0
        /// Block and snapshot requests not served: the peer asked too often.
        public var throttledRequests = 0
        /// Messages refused because a view or height was beyond `ConsensusLimits`.
        public var outOfRange = 0
        public var lastOutOfRange: String?
        /// Times this replica found its execution differed from a quorum's.
        public var divergences = 0

        public init() {}
    }

    /// A snapshot being fetched: from one peer, chunk by chunk.
    struct SnapshotTransfer: Sendable {
        let checkpoint: StableCheckpoint
        let block: CommittedBlock
        let count: UInt32
        let peer: ValidatorID
        var chunks: [UInt32: [StateEntry]] = [:]
        var lastProgressMs: Int64
        var lastRequestMs: Int64
        /// The whole transfer must be done by then.
        let deadlineMs: Int64
        /// Entry bytes held so far (bounded by `maximumSnapshotBytes`).
        var bytes = 0
        /// The first chunk index not yet held.
        var nextMissing: UInt32 = 0
    }

    enum Mode: Equatable, Sendable {
        case awaitingGenesis
        case normal
        /// Moving to `target`. The timer that moves it on to target + 1
        /// starts only once a quorum of validators asks for `target` or
        /// later (`timerStartMs`); before that the replica waits, never
        /// escalating alone (PBFT's liveness rule).
        case viewChange(target: UInt64, timerStartMs: Int64?, timeoutMs: Int64)
    }

    struct Slot: Sendable {
        var proposals: [UInt64: Proposal] = [:]
        var prepares: [UInt64: [Hash32: [ValidatorID: Vote]]] = [:]
        var commits: [UInt64: [Hash32: [ValidatorID: Vote]]] = [:]
        var prepared: PreparedCertificate?
        /// The view whose re-proposal here this replica refused to vote for
        /// (other results than its own): counted once, kept in the slot.
        var refusedReproposalView: UInt64?

        /// Nothing left in it (a slot is dropped rather than kept empty).
        var isEmpty: Bool { proposals.isEmpty && prepares.isEmpty && commits.isEmpty && prepared == nil }

        func votes(_ phase: VotePhase, view: UInt64, hash: Hash32) -> [ValidatorID: Vote] {
            (phase == .prepare ? prepares : commits)[view]?[hash] ?? [:]
        }

        /// Whether `voter` already has a vote of `phase` in `view` here (for
        /// any digest): the one vote per (voter, phase, view, height) kept.
        func hasVote(of voter: ValidatorID, _ phase: VotePhase, view: UInt64) -> Bool {
            guard let byHash = (phase == .prepare ? prepares : commits)[view] else { return false }
            return byHash.values.contains { $0[voter] != nil }
        }

        /// The block for `hash`, from the prepared certificate or else the
        /// proposal of the lowest view: never chosen by Dictionary order,
        /// which differs from process to process.
        func block(for hash: Hash32) -> Block? {
            if let prepared, prepared.blockHash == hash { return prepared.block }
            return proposals.filter { $0.value.blockHash == hash }.min { $0.key < $1.key }?.value.block
        }
    }

    /// Per-validator counters shown by `/validators`.
    public struct Reputation: Equatable, Sendable {
        public var missedProposals = 0
        public var viewChangesCaused = 0

        public init() {}
    }

    public let localID: ValidatorID
    public let validatorSet: ValidatorSet
    public let config: PBFTConfig
    let crypto: any ConsensusCrypto
    let signer: any MessageSigner
    let transactionValidator: any TransactionValidator
    public let genesisHash: Hash32

    var genesis: GenesisCeremony
    var mode: Mode = .awaitingGenesis
    public internal(set) var view: UInt64 = 0
    var slots: [UInt64: Slot] = [:]
    var log = CommittedLog()
    var lastHash: Hash32
    var stashedCommits: [UInt64: CommittedBlock] = [:]
    public internal(set) var mempool: Mempool
    /// The state machine, at `committedHeight`.
    public internal(set) var ledger: LedgerState
    /// Its root (kept, because computing it needs a mutable state).
    public internal(set) var stateRoot = Hash32.zero
    /// Checkpoint votes at heights above the last stable checkpoint.
    var checkpointVotes: [UInt64: [ValidatorID: Checkpoint]] = [:]
    /// This replica's state at its own checkpoints that are not stable yet.
    var checkpointStates: [UInt64: (state: LedgerState, block: CommittedBlock)] = [:]
    public internal(set) var stableSnapshot: StateSnapshot?
    /// The entries of `stableSnapshot` cut into chunks, once a peer asks.
    var servedChunks: (height: UInt64, chunks: [[StateEntry]])?
    var transfer: SnapshotTransfer?
    /// Peers that served forged blocks or snapshots, until when (not asked again before).
    var distrusted: [ValidatorID: Int64] = [:]
    public internal(set) var statistics = Statistics()
    var lastMempoolExpiryMs: Int64 = 0
    /// The highest valid view change of each validator above this replica's
    /// view: at most one per voter, whatever a peer sends.
    var viewChanges: [ValidatorID: ViewChange] = [:]
    var lastViewChangeBroadcastMs: Int64 = 0
    /// When this replica last sent its NewView to a validator behind it.
    var lastNewViewSentMs: [ValidatorID: Int64] = [:]
    var sentVotes: [PersistentState.VoteSlot: Hash32] = [:]
    var sentNewView: Set<UInt64> = []
    /// Heights this replica proposed at in the current view (restored from its log).
    var proposedMarks: [UInt64: ProposalMark] = [:]
    /// The NewView of the current view (or of an earlier one until the
    /// next is entered); setting it fixes the view's floor.
    var lastNewView: NewView? {
        didSet { lastNewViewBase = lastNewView.map { $0.viewChanges.map(\.committedHeight).max() ?? 0 } ?? 0 }
    }
    /// The highest committed height `lastNewView`'s quorum proves (its base).
    private(set) var lastNewViewBase: UInt64 = 0
    /// Proposals for a view this replica has not entered yet (bounded).
    var earlyProposals: [Proposal] = []
    /// PBFT messages that arrived before genesis completed here (bounded).
    var preGenesisMessages: [(ConsensusMessage, ValidatorID)] = []
    var lastViewChangeSent: ViewChange?
    var nowMs: Int64 = 0
    var viewStartedMs: Int64 = 0
    var lastLeaderActivityMs: Int64 = 0
    var lastLeaderSendMs: Int64 = 0
    /// Re-proposals of the current view whose transactions this replica
    /// lacks, by height (at most two windows of them), and the last request.
    var missingBodies: [UInt64: ProposalHeader] = [:]
    var lastBodyRequestMs: Int64?
    var lastBodyPeer: ValidatorID?
    /// When this replica last executed a block, and last retransmitted.
    var lastExecutionMs: Int64 = 0
    var lastRetransmitMs: Int64 = 0
    /// Retransmissions since the last execution (each doubles the wait, up to 8x).
    var retransmitRounds = 0
    /// The highest proposal counted as the leader's activity: (view, height).
    var lastProposalCounted: (view: UInt64, height: UInt64)?
    /// The latest heartbeat counted as the leader's activity: (view, its sending time).
    var lastHeartbeat: (view: UInt64, sentAtMs: Int64)?
    var lastBlockRequestMs: Int64?
    /// The last block request: to whom, from which height (to notice a peer that did not answer).
    var lastBlockRequest: (peer: ValidatorID, fromHeight: UInt64)?
    /// Block and snapshot requests served per peer in the current interval.
    var servedRequests: [ValidatorID: (startMs: Int64, count: Int)] = [:]
    var lastPushMs: [ValidatorID: Int64] = [:]
    var consecutiveViewChanges = 0
    var blamedViews = Set<UInt64>()
    public internal(set) var reputation: [ValidatorID: Reputation] = [:]
    /// Set while this replica's state is known to differ from the quorum's.
    public internal(set) var divergence: Divergence?
    var lastRecoveryRequestMs: Int64?
    /// When this replica last asked each peer for blocks or a snapshot (a
    /// snapshot offer is taken only from a peer asked recently).
    var askedPeers: [ValidatorID: Int64] = [:]
    var lastRecoveryPeer: ValidatorID?
    public internal(set) var viewChangeCount = 0
    var restored: PersistentState?
    var output = Output()

    struct Output {
        var persists: [Action] = []
        var commits: [Action] = []
        var messages: [Action] = []
        var all: [Action] { persists + commits + messages }
    }

    /// A replica, fresh or restarted from `state`.
    public init(
        localID: ValidatorID, validatorSet: ValidatorSet, parameters: GenesisParameters,
        genesisConfig: GenesisConfig = GenesisConfig(), config: PBFTConfig = PBFTConfig(),
        crypto: any ConsensusCrypto, signer: any MessageSigner, transactionValidator: any TransactionValidator,
        seed: UInt64, restoring state: PersistentState? = nil
    ) {
        // Signatures verified once are not verified again (a NewView repeats
        // the certificates of the view changes it carries).
        let crypto: any ConsensusCrypto = crypto as? VerifiedSignatureCache ?? VerifiedSignatureCache(base: crypto)
        self.localID = localID
        self.validatorSet = validatorSet
        self.config = config
        self.crypto = crypto
        self.signer = signer
        self.transactionValidator = transactionValidator
        self.genesis = GenesisCeremony(
            localID: localID, validatorSet: validatorSet, parameters: parameters, config: genesisConfig,
            crypto: crypto, signer: signer, seed: seed)
        self.genesisHash = Block.genesisHash(parameters, crypto: crypto)
        self.lastHash = genesisHash
        self.mempool = Mempool(config: config.mempool)
        self.ledger = LedgerState(config: config.state, crypto: crypto)
        self.restored = state
    }

    /// Feeds one event at time `nowMs`; returns what to do, persists first.
    public mutating func step(_ event: Event, nowMs: Int64) -> [Action] {
        self.nowMs = max(self.nowMs, nowMs)
        output = Output()
        switch event {
        case .start: start()
        case .tick: tick()
        case let .receive(message, sender): receive(message, from: sender)
        case let .submit(transaction): submit(transaction, verified: false)
        case let .submitVerified(transaction): submit(transaction, verified: true)
        }
        let actions = output.all
        output = Output()
        return actions
    }

    public var committedHeight: UInt64 { log.height }
    /// The last committed block, with its certificate.
    public var lastCommitted: CommittedBlock? { log.last }
    /// A committed block still held in memory.
    public func committedBlock(at height: UInt64) -> CommittedBlock? { log.block(at: height) }
    public var lastBlockHash: Hash32 { lastHash }
    public var isActive: Bool { mode != .awaitingGenesis }
    public var leader: ValidatorID { validatorSet.leader(ofView: view) }
    public var genesisStatus: GenesisCeremony.Status { genesis.status }
    public var genesisCertificate: GenesisCertificate? { genesis.certificate }
    public var pendingCount: Int { mempool.count }
    /// Sizes of everything the replica retains besides the state itself:
    /// what checkpoints and garbage collection keep bounded.
    public var retained: [String: Int] {
        let bookkeeping = mempool.bookkeeping
        return [
            "slots": slots.count,
            "slot_votes": slots.values.reduce(0) { total, slot in
                total + slot.prepares.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } }
                    + slot.commits.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } }
            },
            "slot_proposals": slots.values.reduce(0) { $0 + $1.proposals.count },
            "sent_votes": sentVotes.count,
            "blocks_in_memory": log.count,
            "stashed_blocks": stashedCommits.count,
            "view_changes": viewChanges.count,
            "checkpoint_votes": checkpointVotes.values.reduce(0) { $0 + $1.count },
            "checkpoint_states": checkpointStates.count,
            "mempool_entries": bookkeeping.entries,
            "mempool_nonces": bookkeeping.nonces,
            "mempool_buckets": bookkeeping.buckets,
            "mempool_expiry_queue": bookkeeping.expiryQueue,
            "nonce_records": ledger.nonces.count,
            "blamed_views": blamedViews.count,
            "early_proposals": earlyProposals.count,
            "pre_genesis_messages": preGenesisMessages.count,
        ]
    }
    public var isChangingView: Bool { if case .viewChange = mode { return true } else { return false } }

    /// The timeout the next view change would wait for its new view: the
    /// base after a commit, doubling with each view change without one.
    public var nextViewChangeTimeoutMs: Int64 {
        min(config.viewChangeTimeoutCapMs, config.viewChangeTimeoutBaseMs << min(consecutiveViewChanges, 20))
    }

    /// Genesis rebroadcast accounting (the bandwidth scenario).
    public var genesisBroadcasts: (count: Int, bytes: Int) { (genesis.broadcastCount, genesis.broadcastBytes) }

    /// Leader the replica is moving to during a view change, else the current one.
    public var targetView: UInt64 {
        if case let .viewChange(target, _, _) = mode { return target }
        return view
    }

    /// The next time a timer is due (for drivers that sleep until then).
    public var nextDeadlineMs: Int64 {
        var deadline = nowMs + config.heartbeatIntervalMs
        if let genesisDeadline = genesis.nextDeadlineMs { deadline = min(deadline, genesisDeadline) }
        return deadline
    }

    // MARK: - Events

    private mutating func start() {
        if let state = restored {
            restored = nil
            restore(from: state)
        }
        lastLeaderActivityMs = nowMs
        viewStartedMs = nowMs
        if genesis.isComplete {
            if case .viewChange = mode, let change = lastViewChangeSent {
                output.messages.append(.broadcast(.viewChange(change)))
            }
            // A restarted leader sends again what it had said in this view:
            // the NewView and its own proposals, never different ones.
            if mode == .normal, leader == localID {
                if let newView = lastNewView, newView.view == view { output.messages.append(.broadcast(.newView(newView))) }
                for height in slots.keys.sorted() {
                    if let proposal = slots[height]?.proposals[view] { broadcastAsLeader(.proposal(proposal)) }
                }
            }
            return
        }
        absorb(genesis.start(nowMs: nowMs))
    }

    private mutating func tick() {
        if !genesis.isComplete {
            absorb(genesis.tick(nowMs: nowMs))
            return
        }
        if nowMs - lastMempoolExpiryMs >= 1_000 {
            lastMempoolExpiryMs = nowMs
            mempool.expire(nowMs: nowMs)
            // Events that can no longer commit (replayed, or expired against
            // this replica's clock) must not hold the request timer.
            mempool.removeAll { _, event in ledger.admissionProblem(event, blockTimeMs: nowMs) != nil }
        }
        retryStalledTransfer()
        if divergence != nil {
            // Halted: no view changes of its own either (its mempool no
            // longer drains, which is not the leader's fault).
            requestRecoverySnapshot()
            return
        }
        switch mode {
        case .awaitingGenesis:
            return
        case .normal:
            retransmitIfStalled()
            requestMissingBodies()
            // Below the view's floor and the next height is no re-proposal:
            // ask again, a peer at a time (the one asked at entry may be the
            // attacker that holds the blocks). Not while a re-proposal covers
            // it: nobody has that block committed yet, and each fruitless ask
            // would mark an honest peer unresponsive (attacker's review).
            let next = committedHeight + 1
            if committedHeight < viewFloorHeight, slots[next]?.proposals[view] == nil, missingBodies[next]?.view != view {
                requestBlocks(from: lastBlockRequest.map { nextValidator(after: $0.peer) } ?? leader)
            }
            if leader == localID {
                progress()
                if nowMs - lastLeaderSendMs >= config.heartbeatIntervalMs {
                    broadcastAsLeader(.heartbeat(.make(view: view, leader: localID, committedHeight: committedHeight, sentAtMs: nowMs, signer: signer)))
                }
            } else if nowMs - lastLeaderActivityMs > config.leaderTimeoutMs {
                startViewChange(to: view + 1, leaderFailed: true)
            } else if let oldest = mempool.oldestArrivalMs, max(oldest, viewStartedMs) + config.requestTimeoutMs < nowMs {
                startViewChange(to: view + 1, leaderFailed: true)
            }
        case let .viewChange(target, timerStart, timeout):
            if let timerStart {
                if nowMs - timerStart > timeout {
                    startViewChange(to: target + 1, leaderFailed: false)
                    return
                }
            } else {
                armViewChangeTimer()
            }
            retransmitViewChange()
        }
    }

    private mutating func submit(_ transaction: Transaction, verified: Bool) {
        let admission = admit(transaction, verified: verified)
        output.messages.append(.admission(transaction.id, admission))
        if admission == .admitted, mode == .normal, leader == localID { progress() }
    }

    /// Cheapest checks first; the signature is verified only for a
    /// transaction that would otherwise be admitted.
    private mutating func admit(_ transaction: Transaction, verified: Bool) -> Admission {
        guard let event = transactionValidator.event(of: transaction) else {
            return refuse(.rejected("malformed: the transaction does not carry an event"))
        }
        if mempool.contains(transaction.id) { return refuse(.duplicate) }
        if let record = ledger.committedRecord(for: event) {
            return refuse(record.txID == transaction.id ? .alreadyCommitted : .rejected("duplicate_nonce: \(event.producerID) already used this nonce"))
        }
        if let problem = ledger.admissionProblem(event, blockTimeMs: nowMs) { return refuse(.rejected("\(problem.code): against this validator's clock")) }
        if let refusal = mempool.precheck(transaction, event: event, nowMs: nowMs) { return refuse(refusal) }
        if !verified, let problem = transactionValidator.validationProblem(transaction) { return refuse(.rejected(problem)) }
        return mempool.admit(transaction, event: event, nowMs: nowMs)
    }

    private mutating func refuse(_ admission: Admission) -> Admission {
        mempool.countRefusal(admission)
        return admission
    }

    private mutating func receive(_ message: ConsensusMessage, from sender: ValidatorID) {
        guard validatorSet.contains(sender) else { return }
        // The daemon's decoder refuses these already; the core does not rely on it.
        if let field = message.outOfRangeField {
            statistics.outOfRange += 1
            statistics.lastOutOfRange = "\(message.kind) from \(sender): \(field) out of range"
            return
        }
        switch message {
        case let .genesis(genesisMessage):
            absorb(genesis.receive(genesisMessage, from: sender, nowMs: nowMs))
            return
        default:
            break
        }
        guard genesis.isComplete else {
            // Proposals and votes can overtake the certificate that
            // activates consensus; keep some for when this replica activates.
            bufferBeforeGenesis(message, from: sender)
            return
        }
        switch message {
        case .genesis: break
        case let .proposal(proposal): receiveProposal(proposal, from: sender)
        case let .vote(vote): receiveVote(vote, from: sender)
        case let .viewChange(change): receiveViewChange(change, from: sender)
        case let .newView(newView): receiveNewView(newView, from: sender)
        case let .heartbeat(heartbeat): receiveHeartbeat(heartbeat, from: sender)
        case let .blockRequest(fromHeight): if admitRequest(from: sender) { answerBlockRequest(from: fromHeight, to: sender) }
        case let .blocks(blocks): receiveBlocks(blocks, from: sender)
        case let .checkpoint(checkpoint): receiveCheckpoint(checkpoint, from: sender)
        case let .snapshotRequest(height, chunk): if admitRequest(from: sender) { answerSnapshotRequest(height: height, chunk: chunk, to: sender) }
        case let .snapshotChunk(chunk): receiveSnapshotChunk(chunk, from: sender)
        case let .blockBodyRequest(height, hash): if admitRequest(from: sender) { answerBodyRequest(height: height, hash: hash, to: sender) }
        case let .blockBody(block): receiveBody(block, from: sender)
        }
    }

    /// Keeps a PBFT message that overtook the genesis certificate, at most
    /// `preGenesisLimit / n` per sender: when a sender is at its share, its
    /// oldest goes, so one flooding validator cannot push out the others'.
    private mutating func bufferBeforeGenesis(_ message: ConsensusMessage, from sender: ValidatorID) {
        let share = max(1, config.preGenesisLimit / validatorSet.ids.count)
        if preGenesisMessages.lazy.filter({ $0.1 == sender }).count >= share,
           let oldest = preGenesisMessages.firstIndex(where: { $0.1 == sender }) {
            preGenesisMessages.remove(at: oldest)
        }
        preGenesisMessages.append((message, sender))
    }

    /// Turns genesis actions into replica actions; activates PBFT on the certificate.
    private mutating func absorb(_ actions: [GenesisCeremony.Action]) {
        for action in actions {
            switch action {
            case let .broadcast(message): output.messages.append(.broadcast(.genesis(message)))
            case let .send(message, to): output.messages.append(.send(.genesis(message), to: to))
            case let .persist(certificate): output.persists.append(.persist(.genesis(certificate)))
            case let .activate(certificate): activate(certificate)
            }
        }
    }

    private mutating func activate(_ certificate: GenesisCertificate) {
        guard mode == .awaitingGenesis else { return }
        mode = .normal
        viewStartedMs = nowMs
        lastLeaderActivityMs = nowMs
        output.commits.append(.activated(certificate))
        let early = preGenesisMessages
        preGenesisMessages = []
        for (message, sender) in early { receive(message, from: sender) }
        progress()
    }

    private mutating func restore(from state: PersistentState) {
        if let snapshot = state.snapshot {
            ledger = snapshot.state
            log.reset(to: snapshot.block)
            lastHash = snapshot.block.blockHash
            stableSnapshot = snapshot
        }
        stateRoot = ledger.root()
        // Replays the blocks above the snapshot through the state machine;
        // the driver saw their commits before the crash.
        for block in state.committed where block.height == committedHeight + 1 {
            // A log that replays to other results than the ones certified:
            // keep what is consistent and repair the rest from a snapshot.
            if case .differs = resultsCheck(block.block) {
                diverge(divergence(from: block))
                break
            }
            log.append(block)
            lastHash = block.blockHash
            stateRoot = ledger.apply(block.block, events: transactionValidator).stateRoot
            if block.height % config.checkpointInterval == 0 { takeCheckpoint(block) }
        }
        stateRoot = ledger.root()
        sentVotes = state.sentVotes
        view = state.view
        // The votes themselves (signatures are deterministic): a vote made
        // durable just before a crash may never have left, and
        // retransmission needs it in hand.
        for (slot, hash) in state.sentVotes.sorted(by: { ($0.key.height, $0.key.phase.rawValue) < ($1.key.height, $1.key.phase.rawValue) })
        where slot.view == view && slot.height > committedHeight {
            record(Vote.make(phase: slot.phase, view: slot.view, height: slot.height, blockHash: hash, voter: localID, signer: signer))
        }
        for (height, certificate) in state.prepared where height > committedHeight {
            slots[height, default: Slot()].prepared = certificate
            slots[height, default: Slot()].proposals[certificate.view] = certificate.proposal
        }
        // Where it proposed in the current view it never proposes again
        // (it re-sends the block if a prepared certificate holds it), and
        // the NewView that proves the view to peers that ask comes back.
        proposedMarks = state.proposed.filter { $0.key > committedHeight && $0.value.view == view }
        if let newView = state.lastNewView, newView.view == view {
            lastNewView = newView
            // Its re-proposals bind their heights after a restart too: held
            // blocks back in their slots, the others fetched (an attacker's
            // review: a restarted replica accepted another block there).
            installReproposals(of: newView)
        }
        if let certificate = state.genesisCertificate, (try? genesis.restore(certificate)) != nil {
            mode = .normal
            output.commits.append(.activated(certificate))
            if let change = state.lastViewChange, change.newView > view {
                lastViewChangeSent = change
                viewChanges[localID] = change
                mode = .viewChange(target: change.newView, timerStartMs: nil, timeoutMs: config.viewChangeTimeoutBaseMs)
            }
        }
    }
}
