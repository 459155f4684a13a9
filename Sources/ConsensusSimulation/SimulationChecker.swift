import ConsensusCore

/// Watches every honest replica's commits and fails on the first violation:
/// two honest replicas committing different blocks at one height, or
/// reaching different state roots or transaction outcomes at one height; a
/// transaction nobody submitted, or carrying other bytes than the ones its
/// producer signed and the client submitted; a transaction committed twice; a commit
/// certificate that does not verify; a snapshot installed at a root the
/// honest replicas never had; a block certifying results (state root,
/// outcomes) other than the ones honest replicas computed; an honest
/// replica signing two blocks for one slot (a vote phase or a proposal at
/// one view and height), across crashes and storage faults included; an
/// honest replica voting, in a view after the one a block was committed in
/// at its height, for another block there (the commit lock: it fails even
/// when that other block never gathers a quorum).
struct SimulationChecker {
    let validatorSet: ValidatorSet
    /// The pipeline window (which height's results a block carries).
    let window: UInt64
    let crypto = SimulatedCrypto()
    private(set) var canonical: [Hash32] = []
    private(set) var roots: [Hash32] = []
    private(set) var outcomes: [[TransactionOutcome]] = []
    private(set) var committedTransactions = Set<Hash32>()
    private(set) var violation: String?
    /// State roots compared (one per height per honest replica that executed it).
    private(set) var rootsCompared = 0
    private(set) var rejectedByStateMachine = 0
    /// What each honest replica signed per slot: (voter, slot) -> block hash.
    private var signed: [SignedSlot: Hash32] = [:]
    private var signedPrunedBelow: UInt64 = 0
    /// Per height, the block a valid commit certificate decided and the
    /// lowest view certifying it: from honest commits and from any
    /// replica's, Byzantine ones included (a certificate only an attacker
    /// holds still decides the height).
    private var locks: [UInt64: (hash: Hash32, view: UInt64)] = [:]
    /// Per height and block, the honest vote of the highest view: checked
    /// against the commit lock when a certificate decides the height or
    /// lowers its view (a replica may vote in a later view before the
    /// commit is observed, and a lower-view certificate may come later).
    private var latestVotes: [UInt64: [Hash32: Vote]] = [:]

    /// One thing a replica signs at most one block for.
    private struct SignedSlot: Hashable {
        enum Kind: Hashable { case vote(VotePhase), proposal }
        let node: ValidatorID
        let kind: Kind
        let view: UInt64
        let height: UInt64
    }

    init(validatorSet: ValidatorSet, window: UInt64) {
        self.validatorSet = validatorSet
        self.window = window
    }

    /// The results honest replicas computed at `height` (recorded heights only).
    private func honestResults(at height: UInt64) -> ExecutionResults {
        guard height > 0 else { return .genesis(crypto: crypto) }
        let index = Int(height) - 1
        return ExecutionResults(height: height, stateRoot: roots[index], outcomesHash: ExecutionResults.outcomesHash(outcomes[index], crypto: crypto))
    }

    var height: Int { canonical.count }

    /// `submitted`: each submitted transaction's id and the hash of its exact bytes.
    mutating func observe(_ block: CommittedBlock, _ execution: BlockExecution, by node: ValidatorID, submitted: [Hash32: Hash32]) {
        guard violation == nil else { return }
        for transaction in block.block.transactions {
            guard let signed = submitted[transaction.id] else {
                violation = "validity: validator \(node) commits transaction \(transaction.id.short) at height \(block.height), which no client submitted"
                return
            }
            guard crypto.hash(transaction.payload) == signed else {
                violation = "validity: validator \(node) commits transaction \(transaction.id.short) at height \(block.height) with other bytes than the producer signed"
                return
            }
        }
        let index = Int(block.height) - 1
        if index < canonical.count {
            if canonical[index] == block.blockHash, block.isValid(in: validatorSet, crypto: crypto) { lock(block) }
            if canonical[index] != block.blockHash {
                violation = "agreement: validator \(node) committed \(block.blockHash.short) at height \(block.height), others committed \(canonical[index].short)"
            } else if roots[index] != execution.stateRoot {
                violation = "determinism: validator \(node) has state root \(execution.stateRoot.short) at height \(block.height), others \(roots[index].short)"
            } else if outcomes[index] != execution.outcomes {
                violation = "determinism: validator \(node) has other transaction outcomes at height \(block.height)"
            }
            rootsCompared += 1
            return
        }
        guard index == canonical.count else {
            violation = "validator \(node) committed height \(block.height) before height \(canonical.count + 1)"
            return
        }
        guard block.isValid(in: validatorSet, crypto: crypto) else {
            violation = "validator \(node) committed height \(block.height) with a certificate that does not verify"
            return
        }
        let certified = block.block.results
        guard certified.height == ExecutionResults.height(certifiedBy: block.height, window: window),
              certified == honestResults(at: certified.height) else {
            violation = "certified results: height \(block.height) carries \(certified), honest replicas computed \(honestResults(at: min(certified.height, block.height - 1)))"
            return
        }
        for transaction in block.block.transactions {
            guard committedTransactions.insert(transaction.id).inserted else {
                violation = "integrity: transaction \(transaction.id.short) committed twice (again at height \(block.height))"
                return
            }
        }
        rejectedByStateMachine += execution.outcomes.filter { !$0.isApplied }.count
        canonical.append(block.blockHash)
        roots.append(execution.stateRoot)
        outcomes.append(execution.outcomes)
        lock(block)
    }

    /// A Byzantine replica committed `block`: its certificate, if valid,
    /// decides the height as much as an honest commit does.
    mutating func observeCertificate(_ block: CommittedBlock) {
        guard violation == nil, block.isValid(in: validatorSet, crypto: crypto) else { return }
        lock(block)
    }

    private mutating func lock(_ block: CommittedBlock) {
        if let held = locks[block.height] {
            guard held.hash == block.blockHash else {
                violation = "agreement: commit certificates for \(held.hash.short) and \(block.blockHash.short) at height \(block.height)"
                return
            }
            locks[block.height] = (held.hash, min(held.view, block.view))
        } else {
            locks[block.height] = (block.blockHash, block.view)
        }
        for vote in (latestVotes[block.height] ?? [:]).values.sorted(by: { $0.view < $1.view }) {
            checkCommitLock(vote)
        }
        pruneLocks()
    }

    /// Bounded: heights far below every honest commit are never voted on again.
    private mutating func pruneLocks() {
        guard locks.count > 8_192 || latestVotes.count > 8_192 else { return }
        let floor = UInt64(max(0, height - 4_096))
        locks = locks.filter { $0.key >= floor }
        latestVotes = latestVotes.filter { $0.key >= floor }
    }

    /// An honest vote: kept (the highest view per block and height) and
    /// checked against the height's lock if it has one.
    private mutating func observeVote(_ vote: Vote) {
        if latestVotes[vote.height]?[vote.blockHash].map({ $0.view < vote.view }) ?? true {
            latestVotes[vote.height, default: [:]][vote.blockHash] = vote
            pruneLocks()
        }
        checkCommitLock(vote)
    }

    /// A block committed at (height, view) locks the height: in every later
    /// view an honest replica votes for that block or none there, because
    /// the quorum that committed it reports it in every view change. The
    /// seed 9007041 failure broke this in view 8 before the other block
    /// committed; the check names the first such vote.
    private mutating func checkCommitLock(_ vote: Vote) {
        guard violation == nil, let lock = locks[vote.height] else { return }
        if vote.view > lock.view, vote.blockHash != lock.hash {
            violation = "commit lock: validator \(vote.voter) voted \(vote.phase) for \(vote.blockHash.short) at height \(vote.height) in view \(vote.view), after \(lock.hash.short) was committed there in view \(lock.view)"
        }
    }

    /// An honest replica sent `message`: a vote or proposal for another
    /// block than it signed before for the same slot is an equivocation
    /// (what a replica that forgot its own log would do).
    mutating func observeSent(_ message: ConsensusMessage, by node: ValidatorID) {
        guard violation == nil else { return }
        // Only what `node` itself signed (a replica may pass on others' messages).
        var slots: [(SignedSlot, Hash32)] = []
        switch message {
        case let .vote(vote) where vote.voter == node:
            observeVote(vote)
            slots = [(SignedSlot(node: node, kind: .vote(vote.phase), view: vote.view, height: vote.height), vote.blockHash)]
        case let .proposal(proposal) where validatorSet.leader(ofView: proposal.view) == node:
            slots = [(SignedSlot(node: node, kind: .proposal, view: proposal.view, height: proposal.block.height), proposal.blockHash)]
        case let .newView(newView) where validatorSet.leader(ofView: newView.view) == node:
            // Its re-proposals are its proposals at those heights of the view.
            slots = newView.proposals.map { (SignedSlot(node: node, kind: .proposal, view: newView.view, height: $0.header.height), $0.blockHash) }
        default:
            return
        }
        for (slot, hash) in slots where slot.height >= signedPrunedBelow {
            if let earlier = signed[slot], earlier != hash {
                violation = "equivocation: validator \(node) signed \(slot.kind) for \(hash.short) at view \(slot.view) height \(slot.height) after signing \(earlier.short) there"
                return
            }
            signed[slot] = hash
        }
        // Bounded: heights far below every commit are never signed again.
        if UInt64(height) > signedPrunedBelow + 4_096 {
            signedPrunedBelow = UInt64(height) - 2_048
            signed = signed.filter { $0.key.height >= signedPrunedBelow }
        }
    }

    /// `node` lost its disk: what it signs from now on is not compared with
    /// what it signed before (an operator restore counts as a fault).
    mutating func forgetSent(by node: ValidatorID) {
        signed = signed.filter { $0.key.node != node }
    }

    /// A replica installed a snapshot: its certified root must be the one
    /// honest replicas computed at that height.
    mutating func observeTransfer(_ checkpoint: StableCheckpoint, by node: ValidatorID) {
        guard violation == nil else { return }
        let index = Int(checkpoint.height) - 1
        guard index < canonical.count else {
            violation = "validator \(node) installed a snapshot at height \(checkpoint.height), above every honest commit"
            return
        }
        if canonical[index] != checkpoint.blockHash || roots[index] != checkpoint.stateRoot {
            violation = "validator \(node) installed a snapshot at height \(checkpoint.height) that no honest replica computed"
        }
        rootsCompared += 1
    }
}
