/// Normal-case PBFT: proposals, prepare and commit votes, execution in
/// height order.
extension Replica {
    /// Highest height a slot may exist at: beyond it the replica is behind
    /// and catches up instead of buffering.
    var highestTrackedHeight: UInt64 { committedHeight + config.windowSize * 4 }

    mutating func receiveProposal(_ proposal: Proposal, from sender: ValidatorID) {
        guard mode == .normal, proposal.view == view else {
            // Messages may be reordered: a proposal of the next view can
            // arrive before its NewView. Keep it until the view is entered.
            if proposal.view > view { bufferEarly(proposal) }
            return
        }
        let height = proposal.block.height
        guard height > committedHeight else { return }
        // One proposal per (view, height): a repeat costs nothing, and a
        // second, different one is the leader equivocating and is ignored.
        guard slots[height]?.proposals[view] == nil else { return }
        // Verified before anything it says is acted on.
        guard proposal.isValid(in: validatorSet, crypto: crypto) else { return }
        // The NewView re-proposed a block here by header and this replica
        // lacks its transactions: only that very block may fill the height
        // (it serves as the body), never another one the leader signs.
        if let wanted = missingBodies[height], wanted.view == view {
            guard proposal.blockHash == wanted.blockHash, wanted.header.isHeader(of: proposal.block, crypto: crypto),
                  proposal.block.transactions.allSatisfy(transactionValidator.identifies) else { return }
            missingBodies[height] = nil
            slots[height, default: Slot()].proposals[view] = proposal
            progress()
            return
        }
        // At or below the height the view's NewView proves committed, only
        // its re-proposals of the certified chain may stand (held in the
        // slots, or bodies awaited above): catch-up brings the rest.
        guard height > viewFloorHeight else {
            statistics.refusedProposals += 1
            statistics.lastRefusal = "proposal for height \(height) in view \(proposal.view) from \(sender): at or below height \(viewFloorHeight), which this view's NewView proves committed"
            requestBlocks(from: sender)
            return
        }
        // The leader is alive even when this replica is too far behind to
        // vote: a replica catching up must not suspect it (found with `make
        // run`: a validator restarted 2,000 blocks behind started a view
        // change alone and sat it out until the next one). Only a proposal
        // above the last one counted: a replayed one (refused, or beyond the
        // window, so never stored) must not keep a dead leader in office.
        if lastProposalCounted.map({ $0.view != view || height > $0.height }) ?? true {
            lastProposalCounted = (view, height)
            lastLeaderActivityMs = nowMs
        }
        // A proposal a little beyond the window is kept: the leader may have
        // committed (and moved its window) a moment before this replica did.
        // It is voted for once the window reaches it. Far beyond: catch up.
        guard height <= highestTrackedHeight else {
            requestBlocks(from: sender)
            return
        }
        if let problem = blockProblem(proposal.block) {
            statistics.refusedProposals += 1
            statistics.lastRefusal = "proposal for height \(height) in view \(proposal.view) from \(sender): \(problem)"
            return
        }
        slots[height, default: Slot()].proposals[view] = proposal
        progress()
    }

    /// The highest view a vote or proposal is kept for: a few above the
    /// view this replica is in or moving to (a NewView can be overtaken by
    /// the proposals and votes of its view). Beyond, a message is dropped
    /// before any signature check, whatever view its signer chose.
    var highestFutureView: UInt64 { max(view, targetViewIfChanging).saturatingAdding(config.futureViewWindow) }

    /// Keeps a validly signed proposal for a later view within the window:
    /// at most one per (view, height) and `earlyProposalLimit` in all. When
    /// full, the proposal of the farthest view goes first, so a future
    /// leader flooding its own views cannot crowd out the next view's.
    mutating func bufferEarly(_ proposal: Proposal) {
        guard proposal.view > view, proposal.view <= highestFutureView, proposal.block.height > committedHeight,
              proposal.block.height <= highestTrackedHeight,
              !earlyProposals.contains(where: { $0.view == proposal.view && $0.block.height == proposal.block.height }) else { return }
        if earlyProposals.count >= config.earlyProposalLimit {
            guard let farthest = earlyProposals.indices.max(by: { earlyProposals[$0].view < earlyProposals[$1].view }),
                  earlyProposals[farthest].view > proposal.view else { return }
            guard proposal.isValid(in: validatorSet, crypto: crypto) else { return }
            earlyProposals.remove(at: farthest)
        } else {
            guard proposal.isValid(in: validatorSet, crypto: crypto) else { return }
        }
        earlyProposals.append(proposal)
    }

    /// Processes buffered proposals of the view just entered; drops older ones.
    mutating func replayEarlyProposals() {
        let ready = earlyProposals.filter { $0.view == view }
        earlyProposals.removeAll { $0.view <= view }
        for proposal in ready.sorted(by: { $0.block.height < $1.block.height }) {
            receiveProposal(proposal, from: leader)
        }
    }

    /// Why a replica refuses to vote for a block's contents (nil: it may).
    func blockProblem(_ block: Block) -> String? {
        guard block.timestampMs.isWithin(config.blockTimestampToleranceMs, of: nowMs) else {
            return "timestamp \(block.timestampMs) is \(block.timestampMs.distance(from: nowMs)) ms from this replica's clock (tolerance \(config.blockTimestampToleranceMs) ms)"
        }
        guard block.transactions.count <= config.maximumBlockTransactions else { return "too many transactions" }
        if case let .differs(problem) = resultsCheck(block) { return problem }
        guard block.payloadBytes <= config.maximumBlockBytes else {
            return "\(block.payloadBytes) transaction bytes, over the block budget of \(config.maximumBlockBytes)"
        }
        var seen = Set<Hash32>()
        let inFlight = inFlightTransactionIDs(excludingHeight: block.height)
        for transaction in block.transactions {
            guard seen.insert(transaction.id).inserted else { return "a transaction appears twice" }
            guard !inFlight.contains(transaction.id) else { return "a transaction is already in another block of this view" }
            guard let event = transactionValidator.event(of: transaction) else { return "a transaction does not carry an event" }
            // Replayed, expired or far-future events: the leader had no business proposing them.
            if let problem = ledger.admissionProblem(event, blockTimeMs: block.timestampMs) { return "a transaction is refused: \(problem.code)" }
            // A transaction this replica admitted was verified then, but only
            // those exact bytes: anything else under its id (another payload,
            // another signature) is checked in full like a stranger.
            if mempool.transaction(transaction.id)?.payload != transaction.payload, let problem = transactionValidator.validationProblem(transaction) {
                return "transaction \(transaction.id.short) is invalid: \(problem)"
            }
        }
        return nil
    }

    /// Transactions in this view's accepted proposals at other heights.
    func inFlightTransactionIDs(excludingHeight: UInt64) -> Set<Hash32> {
        var ids = Set<Hash32>()
        for (height, slot) in slots where height != excludingHeight {
            if let proposal = slot.proposals[view] { for transaction in proposal.block.transactions { ids.insert(transaction.id) } }
        }
        return ids
    }

    mutating func receiveVote(_ vote: Vote, from sender: ValidatorID) {
        guard vote.height > committedHeight, vote.view >= view, vote.view <= highestFutureView else { return }
        guard vote.height <= highestTrackedHeight else {
            if vote.isValid(in: validatorSet, crypto: crypto) { requestBlocks(from: sender) }
            return
        }
        // One vote per (voter, phase, view, height): a voter's second one,
        // for any digest, is dropped unverified and never stored.
        guard slots[vote.height]?.hasVote(of: vote.voter, vote.phase, view: vote.view) != true,
              vote.isValid(in: validatorSet, crypto: crypto) else { return }
        record(vote)
        if vote.view == view, vote.voter == leader { lastLeaderActivityMs = nowMs }
        progress()
    }

    mutating func record(_ vote: Vote) {
        var slot = slots[vote.height, default: Slot()]
        guard !slot.hasVote(of: vote.voter, vote.phase, view: vote.view) else { return }
        switch vote.phase {
        case .prepare: slot.prepares[vote.view, default: [:]][vote.blockHash, default: [:]][vote.voter] = vote
        case .commit: slot.commits[vote.view, default: [:]][vote.blockHash, default: [:]][vote.voter] = vote
        }
        slots[vote.height] = slot
    }

    mutating func receiveHeartbeat(_ heartbeat: LeaderHeartbeat, from sender: ValidatorID) {
        guard heartbeat.isValid(in: validatorSet, crypto: crypto) else { return }
        // Fresh only: later than the last one counted in this view, and
        // within the clock tolerance. A peer replaying the leader's old
        // heartbeats cannot keep a dead leader in office.
        if heartbeat.view == view, mode == .normal,
           lastHeartbeat.map({ $0.view != view || heartbeat.sentAtMs > $0.sentAtMs }) ?? true,
           heartbeat.sentAtMs.isWithin(config.blockTimestampToleranceMs, of: nowMs) {
            lastHeartbeat = (view, heartbeat.sentAtMs)
            lastLeaderActivityMs = nowMs
        }
        // A leader of an earlier view still heartbeating (restarted from its
        // log into an idle cluster, or left out of a NewView): nothing else
        // would tell it the view moved on, so send it the NewView that
        // proves this view, at most once per base view-change timeout.
        if heartbeat.view < view, mode == .normal, sender == heartbeat.leader, let newView = lastNewView, newView.view == view,
           lastNewViewSentMs[sender].map({ nowMs - $0 >= config.viewChangeTimeoutBaseMs }) ?? true {
            lastNewViewSentMs[sender] = nowMs
            output.messages.append(.send(.newView(newView), to: sender))
        }
        if heartbeat.committedHeight > committedHeight { requestBlocks(from: sender) }
        // A leader that is behind and idle would never learn of the blocks it
        // missed: hand them over (it verifies their certificates).
        if heartbeat.committedHeight < committedHeight { pushBlocks(from: heartbeat.committedHeight + 1, to: heartbeat.leader) }
    }

    /// Takes every step the current state allows, lowest height first:
    /// prepare votes, prepared certificates, commit votes, execution.
    mutating func progress() {
        var moved = true
        while moved {
            moved = false
            if executeNextIfCommitted() {
                moved = true
                continue
            }
            guard mode == .normal, divergence == nil else { return }
            var height = committedHeight + 1
            while let slot = slots[height], height <= committedHeight + config.windowSize {
                if let proposal = slot.proposals[view] { moved = advance(proposal) || moved }
                height += 1
            }
            if leader == localID, proposeIfLeader() { moved = true }
        }
    }

    /// Whether `proposal` is one the NewView of the current view re-proposed.
    func isReproposal(_ proposal: Proposal) -> Bool {
        guard let newView = lastNewView, newView.view == proposal.view, proposal.view == view else { return false }
        return newView.proposals.contains { $0.header.height == proposal.block.height && $0.blockHash == proposal.blockHash }
    }

    /// Votes for and certifies one accepted proposal as far as it can go.
    private mutating func advance(_ proposal: Proposal) -> Bool {
        let height = proposal.block.height
        var moved = false
        guard parentIsSettled(for: proposal) else { return false }
        let prepareSlot = PersistentState.VoteSlot(phase: .prepare, view: view, height: height)
        if sentVotes[prepareSlot] == nil {
            // The results it certifies are checked once this replica has
            // executed their height (always so inside the window).
            switch resultsCheck(proposal.block) {
            case .matches: break
            case .notExecutedYet: return false
            case let .differs(problem):
                let refusal = "proposal for height \(height) in view \(view): \(problem)"
                // A re-proposal of this view's NewView stays in its slot: a
                // quorum prepared it, so it binds the height whatever this
                // replica computed; dropped, its own leader proposed another
                // block there (an attacker's review of e834e50).
                if isReproposal(proposal) {
                    guard slots[height]?.refusedReproposalView != view else { return false }
                    slots[height]?.refusedReproposalView = view
                } else {
                    slots[height]?.proposals[view] = nil
                }
                statistics.refusedProposals += 1
                statistics.lastRefusal = refusal
                return false
            }
            castVote(.prepare, proposal: proposal)
            moved = true
        }
        guard sentVotes[prepareSlot] == proposal.blockHash, let slot = slots[height] else { return moved }
        let prepares = slot.votes(.prepare, view: view, hash: proposal.blockHash)
        if slot.prepared?.view != view, prepares.count >= validatorSet.quorum.size {
            let certificate = PreparedCertificate(proposal: proposal, prepares: QuorumCertificate(votes: Array(prepares.values)))
            slots[height]?.prepared = certificate
            output.persists.append(.persist(.prepared(certificate)))
            moved = true
        }
        let commitSlot = PersistentState.VoteSlot(phase: .commit, view: view, height: height)
        if slots[height]?.prepared?.view == view, slots[height]?.prepared?.blockHash == proposal.blockHash, sentVotes[commitSlot] == nil {
            castVote(.commit, proposal: proposal)
            moved = true
        }
        return moved
    }

    /// A block may be voted for only once its parent is committed, or
    /// prepared in this same view (which keeps view changes able to rebuild
    /// a consistent chain), and only if it is later than its parent.
    private func parentIsSettled(for proposal: Proposal) -> Bool {
        let height = proposal.block.height
        if height == committedHeight + 1 {
            guard proposal.block.previousHash == lastHash else { return false }
            return proposal.block.timestampMs > lastBlockTimestampMs
        }
        guard let parent = slots[height - 1]?.prepared, parent.view == view, parent.blockHash == proposal.block.previousHash else { return false }
        return proposal.block.timestampMs > parent.block.timestampMs
    }

    private mutating func castVote(_ phase: VotePhase, proposal: Proposal) {
        let vote = Vote.make(phase: phase, view: view, height: proposal.block.height, blockHash: proposal.blockHash, voter: localID, signer: signer)
        sentVotes[PersistentState.VoteSlot(phase: phase, view: view, height: vote.height)] = vote.blockHash
        record(vote)
        output.persists.append(.persist(.vote(vote)))
        broadcastAsLeader(.vote(vote))
    }

    /// Executes the next height if a quorum of commit votes (any view) or a
    /// fetched certificate proves a block that extends the chain.
    private mutating func executeNextIfCommitted() -> Bool {
        let height = committedHeight + 1
        guard divergence == nil else { return false }
        if let fetched = stashedCommits.removeValue(forKey: height), fetched.block.previousHash == lastHash {
            return executeIfConsistent(fetched)
        }
        guard let slot = slots[height] else { return false }
        for (commitView, byHash) in slot.commits.sorted(by: { $0.key < $1.key }) {
            for (hash, votes) in byHash.sorted(by: { $0.key < $1.key }) where votes.count >= validatorSet.quorum.size {
                guard let block = slot.block(for: hash), block.previousHash == lastHash else { continue }
                let certificate = QuorumCertificate(votes: Array(votes.values))
                precondition(certificate.view == commitView)
                return executeIfConsistent(CommittedBlock(block: block, blockHash: hash, certificate: certificate))
            }
        }
        return false
    }

    /// The parent time of the next block (the leader timestamp rule).
    var lastBlockTimestampMs: Int64 { log.last?.block.timestampMs ?? .min }

    mutating func execute(_ committed: CommittedBlock) {
        precondition(committed.height == committedHeight + 1 && committed.block.previousHash == lastHash, "execution out of order")
        log.append(committed)
        lastHash = committed.blockHash
        slots[committed.height] = nil
        stashedCommits[committed.height] = nil
        let execution = ledger.apply(committed.block, events: transactionValidator)
        stateRoot = execution.stateRoot
        lastExecutionMs = nowMs
        retransmitRounds = 0
        for transaction in committed.block.transactions {
            mempool.remove(transaction.id)
            // Another pending event with the same nonce can never commit now.
            if let event = transactionValidator.event(of: transaction), let holder = mempool.holder(of: event.nonceKey) {
                mempool.remove(holder)
            }
        }
        sentVotes = sentVotes.filter { $0.key.height > committed.height }
        proposedMarks = proposedMarks.filter { $0.key > committed.height }
        consecutiveViewChanges = 0
        output.persists.append(.persist(.committed(committed)))
        output.commits.append(.commit(committed, execution))
        if committed.height % config.checkpointInterval == 0 { takeCheckpoint(committed) }
    }

    /// The leader fills the pipeline window with new blocks of pending
    /// transactions. Returns whether it proposed anything.
    @discardableResult
    mutating func proposeIfLeader() -> Bool {
        guard mode == .normal, leader == localID, genesis.isComplete else { return false }
        // Below the view's floor the blocks are decided: fetched, never proposed.
        guard committedHeight >= viewFloorHeight else { return false }
        var proposed = false
        while true {
            var height = committedHeight + 1
            while slots[height]?.proposals[view] != nil { height += 1 }
            guard height <= committedHeight + config.windowSize else { break }
            // Proposed here before a restart, and the block is not held:
            // never another one at this (view, height); the view will change.
            if let mark = proposedMarks[height], mark.view == view { break }
            // Re-proposed in this view's NewView, transactions still being
            // fetched: that block is this height's, never a new one.
            if missingBodies[height] != nil { break }
            let parent: (hash: Hash32, timestampMs: Int64)
            if height == committedHeight + 1 {
                parent = (lastHash, lastBlockTimestampMs)
            } else if let above = slots[height - 1]?.proposals[view] {
                parent = (above.blockHash, above.block.timestampMs)
            } else {
                break
            }
            guard let results = ownResults(certifiedBy: height) else { break }
            let inFlight = inFlightTransactionIDs(excludingHeight: height)
            let blockTime = max(nowMs, parent.timestampMs == .min ? nowMs : parent.timestampMs.saturatingAdding(1))
            let transactions = mempool.batch(config.maximumBlockTransactions, maximumBytes: config.maximumBlockBytes) { id, event in
                !inFlight.contains(id) && ledger.admissionProblem(event, blockTimeMs: blockTime) == nil
            }
            guard !transactions.isEmpty else { break }
            let block = Block.make(
                height: height, previousHash: parent.hash, proposer: localID,
                timestampMs: blockTime,
                transactions: transactions, results: results, crypto: crypto)
            let proposal = Proposal.make(view: view, block: block, crypto: crypto, signer: signer)
            slots[height, default: Slot()].proposals[view] = proposal
            proposedMarks[height] = ProposalMark(view: view, height: height, blockHash: proposal.blockHash)
            output.persists.append(.persist(.proposed(ProposalMark(view: view, height: height, blockHash: proposal.blockHash))))
            broadcastAsLeader(.proposal(proposal))
            proposed = true
        }
        return proposed
    }

    /// With heights in flight in this view and nothing executed for a
    /// retransmit interval, sends this replica's votes of the view again,
    /// and as leader its proposals: receivers drop what they already hold
    /// before any signature check, so a repeat is cheap.
    mutating func retransmitIfStalled() {
        // Doubling while nothing executes (a stalled leader would otherwise
        // re-send a window of full blocks to everyone every interval).
        let interval = config.retransmitIntervalMs << min(retransmitRounds, 3)
        guard divergence == nil, nowMs - max(lastExecutionMs, viewStartedMs) >= config.retransmitIntervalMs,
              nowMs - lastRetransmitMs >= interval else { return }
        let heights = slots.keys.filter { $0 > committedHeight && $0 <= committedHeight + config.windowSize }.sorted()
        guard !heights.isEmpty else { return }
        lastRetransmitMs = nowMs
        retransmitRounds += 1
        for height in heights {
            guard let slot = slots[height] else { continue }
            if leader == localID, let proposal = slot.proposals[view] { output.messages.append(.broadcast(.proposal(proposal))) }
            for phase in [VotePhase.prepare, .commit] {
                guard let hash = sentVotes[PersistentState.VoteSlot(phase: phase, view: view, height: height)],
                      let vote = slot.votes(phase, view: view, hash: hash)[localID] else { continue }
                output.messages.append(.broadcast(.vote(vote)))
            }
        }
    }

    /// Broadcasts and, when this replica leads, notes that it spoke (an idle
    /// leader's heartbeat is due only after silence).
    mutating func broadcastAsLeader(_ message: ConsensusMessage) {
        if leader == localID { lastLeaderSendMs = nowMs }
        output.messages.append(.broadcast(message))
    }
}
