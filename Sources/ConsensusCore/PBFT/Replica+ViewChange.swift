/// View changes: suspecting the leader, collecting view changes, building
/// and validating the new view.
extension Replica {
    /// Moves towards view `target`: stops normal processing and broadcasts a
    /// ViewChange with its committed certificate and prepared chain.
    mutating func startViewChange(to target: UInt64, leaderFailed: Bool) {
        guard target > view, target > targetViewIfChanging else { return }
        if leaderFailed, blamedViews.insert(view).inserted {
            reputation[leader, default: Reputation()].viewChangesCaused += 1
            if mempool.count > 0 { reputation[leader, default: Reputation()].missedProposals += 1 }
        }
        let exponent = min(consecutiveViewChanges, 20)
        let timeout = min(config.viewChangeTimeoutCapMs, config.viewChangeTimeoutBaseMs << exponent)
        consecutiveViewChanges += 1
        mode = .viewChange(target: target, timerStartMs: nil, timeoutMs: timeout)
        viewChangeCount += 1
        let change = ViewChange.make(
            newView: target, voter: localID, committed: log.last?.certificate,
            prepared: preparedChain(), signer: signer)
        lastViewChangeSent = change
        viewChanges[localID] = change
        lastViewChangeBroadcastMs = nowMs
        output.persists.append(.persist(.viewChange(change)))
        output.messages.append(.broadcast(.viewChange(change)))
        armViewChangeTimer()
        tryNewView(target)
    }

    var targetViewIfChanging: UInt64 {
        if case let .viewChange(target, _, _) = mode { return target }
        return 0
    }

    /// Starts the timer towards target + 1 once a quorum of validators (this
    /// one included) asks for the target or a later view. A replica that
    /// suspects the leader alone keeps asking for the same view instead of
    /// climbing away from the others, which is what left a restarted
    /// validator at view 76 while the cluster sat at 50.
    mutating func armViewChangeTimer() {
        guard case let .viewChange(target, nil, timeout) = mode else { return }
        let supporters = viewChanges.values.filter { $0.newView >= target }.count
        guard supporters >= validatorSet.quorum.size else { return }
        mode = .viewChange(target: target, timerStartMs: nowMs, timeoutMs: timeout)
    }

    /// While waiting, the replica's view change is sent again every base
    /// timeout: a lost one must not need another view change to recover,
    /// and a validator already past the target answers it with its NewView.
    ///
    /// A replica waiting for a view still executes the blocks it fetches;
    /// when its committed height has moved since it signed, it signs the
    /// view change again with its current certificate and prepared chain, so
    /// that peers push it blocks from where it really is (a replica whose
    /// view change said 249 while it held 920 was pushed a snapshot it
    /// already had, forever).
    mutating func retransmitViewChange() {
        guard var change = lastViewChangeSent, change.newView == targetViewIfChanging,
              nowMs - lastViewChangeBroadcastMs >= config.viewChangeTimeoutBaseMs else { return }
        if change.committedHeight < committedHeight {
            change = ViewChange.make(
                newView: change.newView, voter: localID, committed: log.last?.certificate, prepared: preparedChain(), signer: signer)
            lastViewChangeSent = change
            viewChanges[localID] = change
            output.persists.append(.persist(.viewChange(change)))
        }
        lastViewChangeBroadcastMs = nowMs
        output.messages.append(.broadcast(.viewChange(change)))
    }

    /// The highest-view prepared certificates above the committed height,
    /// as long as each extends the one below.
    func preparedChain() -> [PreparedClaim] {
        var chainOut: [PreparedClaim] = []
        var parent = lastHash
        var height = committedHeight + 1
        while let certificate = slots[height]?.prepared, certificate.block.previousHash == parent {
            chainOut.append(certificate.claim)
            parent = certificate.blockHash
            height += 1
        }
        return chainOut
    }

    mutating func receiveViewChange(_ change: ViewChange, from sender: ValidatorID) {
        guard change.voter != localID, validatorSet.contains(change.voter) else { return }
        guard change.newView > view else {
            answerBehind(change, from: sender)
            return
        }
        // One view change per voter, its highest: a later one replaces it, a
        // repeat or an older one costs nothing (no signature check). An
        // honest prepared chain never exceeds the window, so a longer one is
        // refused before its certificates cost any verification.
        // A later view, or the same view signed again from a higher committed
        // height (the voter caught up while waiting), replaces what is held.
        if let held = viewChanges[change.voter],
           held.newView > change.newView || (held.newView == change.newView && held.committedHeight >= change.committedHeight) {
            // A retransmission: the voter is still behind in blocks, perhaps.
            if held.newView == change.newView, held.committedHeight < committedHeight, held == change {
                pushBlocks(from: held.committedHeight + 1, to: held.voter)
            }
            return
        }
        guard change.prepared.count <= Int(config.windowSize),
              change.isValid(in: validatorSet, anchor: genesisHash, crypto: crypto) else { return }
        viewChanges[change.voter] = change
        // A validator asking for a view change while behind may simply have
        // missed blocks: hand them over (it verifies their certificates).
        if change.committedHeight < committedHeight { pushBlocks(from: change.committedHeight + 1, to: change.voter) }
        if change.committedHeight > committedHeight { requestBlocks(from: change.voter) }
        // f+1 other validators want a later view: at least one is honest, so
        // join the smallest such view rather than be left behind.
        let current = max(view, targetViewIfChanging)
        let later = viewChanges.values.filter { $0.voter != localID && $0.newView > current }.map(\.newView)
        if later.count >= validatorSet.quorum.faultTolerance + 1, let smallest = later.min() {
            startViewChange(to: smallest, leaderFailed: true)
        }
        armViewChangeTimer()
        tryNewView(change.newView)
    }

    /// A validator asks for a view this replica has already reached or left
    /// behind (it restarted from an old log, or was cut off): once its
    /// signature verifies, it gets the blocks it lacks and the NewView of the
    /// current view, which proves the view to it. At most once per base
    /// view-change timeout per validator.
    /// Only the voter's own copy is answered (a replayed view change must
    /// not aim this replica's answers at someone else), and the rate limit is
    /// taken before the signature is checked, so forgeries cost at most one
    /// verification per interval too.
    private mutating func answerBehind(_ change: ViewChange, from sender: ValidatorID) {
        guard mode == .normal, sender == change.voter, let info = validatorSet.info(change.voter),
              lastNewViewSentMs[sender].map({ nowMs - $0 >= config.viewChangeTimeoutBaseMs }) ?? true else { return }
        lastNewViewSentMs[sender] = nowMs
        guard crypto.verify(signature: change.signature, message: change.signBytes, publicKey: info.publicKey) else { return }
        if change.committedHeight < committedHeight { pushBlocks(from: change.committedHeight + 1, to: change.voter) }
        if let newView = lastNewView, newView.view == view {
            output.messages.append(.send(.newView(newView), to: change.voter))
        }
    }

    /// The new leader announces the view once it holds a quorum of view changes.
    mutating func tryNewView(_ target: UInt64) {
        // Never a view below one this replica has asked for: its view change
        // for the later view may sit in a peer's NewView quorum, and what it
        // prepared here would be missing from it (found by an attacker's
        // review: the leader's own path lacked the check followers have).
        guard validatorSet.leader(ofView: target) == localID, target > view, target >= targetViewIfChanging,
              target >= lastViewChangeSent?.newView ?? 0, !sentNewView.contains(target) else { return }
        let used = viewChanges.values.filter { $0.newView == target }.sorted { $0.voter < $1.voter }
        guard used.count >= validatorSet.quorum.size else { return }
        sentNewView.insert(target)
        let selection = NewViewSelection.select(from: used, anchor: genesisHash, window: config.windowSize)
        let proposals = selection.blocks.map { ProposalHeader.make(view: target, header: $0.header, blockHash: $0.blockHash, signer: signer) }
        let newView = NewView.make(view: target, viewChanges: used, proposals: proposals, signer: signer)
        output.messages.append(.broadcast(.newView(newView)))
        enter(newView, selection: selection)
        // Behind the quorum's highest commit: fetch those blocks (a leader
        // at 25 with a base of 26 proposed another block at 26, seed 9007041).
        if selection.baseHeight > committedHeight, let ahead = used.max(by: { $0.committedHeight < $1.committedHeight }) {
            requestBlocks(from: ahead.voter)
        }
    }

    /// The highest height the current view's NewView proves committed (its
    /// base): heights up to it are decided, so this replica votes there only
    /// for the NewView's re-proposals of the certified chain, proposes
    /// nothing there, and fetches what it lacks.
    var viewFloorHeight: UInt64 {
        lastNewView?.view == view ? lastNewViewBase : 0
    }

    mutating func receiveNewView(_ newView: NewView, from sender: ValidatorID) {
        guard newView.view > view, newView.view >= targetViewIfChanging else { return }
        let newLeader = validatorSet.leader(ofView: newView.view)
        guard let info = validatorSet.info(newLeader),
              crypto.verify(signature: newView.signature, message: newView.signBytes, publicKey: info.publicKey) else { return }
        // Shape first (views, distinct voters, a quorum, chains no longer
        // than the window), then the certificates: a malformed NewView costs
        // one signature check.
        var voters = Set<ValidatorID>()
        for change in newView.viewChanges {
            guard change.newView == newView.view, validatorSet.contains(change.voter), voters.insert(change.voter).inserted,
                  change.prepared.count <= Int(config.windowSize) else { return }
        }
        guard voters.count >= validatorSet.quorum.size, newView.proposals.count <= 2 * Int(config.windowSize) else { return }
        for change in newView.viewChanges {
            guard change.isValid(in: validatorSet, anchor: genesisHash, crypto: crypto) else { return }
        }
        let selection = NewViewSelection.select(from: newView.viewChanges, anchor: genesisHash, window: config.windowSize)
        guard selection.blocks.count == newView.proposals.count else { return }
        for (claim, proposal) in zip(selection.blocks, newView.proposals) {
            guard proposal.view == newView.view, proposal.header == claim.header, proposal.blockHash == claim.blockHash,
                  proposal.isValid(in: validatorSet, crypto: crypto) else { return }
        }
        enter(newView, selection: selection)
        if selection.baseHeight > committedHeight { requestBlocks(from: sender) }
    }

    /// Enters a validated new view and takes up its re-proposals.
    private mutating func enter(_ newView: NewView, selection: NewViewSelection.Result) {
        view = newView.view
        mode = .normal
        viewStartedMs = nowMs
        lastLeaderActivityMs = nowMs
        lastNewView = newView
        output.persists.append(.persist(.newView(newView)))
        viewChanges = viewChanges.filter { $0.value.newView > view }
        sentNewView = sentNewView.filter { $0 >= view }
        proposedMarks = [:]
        retransmitRounds = 0
        installReproposals(of: newView)
        pruneEarlierViews()
        replayEarlyProposals()
        progress()
    }

    /// On entering a view, drops what earlier views left in the slots that
    /// can no longer count: votes below the current view are refused on
    /// arrival, so an earlier view's prepares and incomplete commit quorums
    /// never complete, and its proposals are no longer voted for. Kept: a
    /// complete commit quorum and its block (it commits once its parent
    /// does) and prepared certificates (view changes report them). Without
    /// it a replica lagging through many views kept a window of far
    /// re-proposals per view until it caught up.
    private mutating func pruneEarlierViews() {
        let quorum = validatorSet.quorum.size
        for height in Array(slots.keys) {
            guard var slot = slots[height] else { continue }
            slot.prepares = slot.prepares.filter { $0.key >= view }
            // One complete quorum per decided hash, the lowest view's.
            var decided = Set<Hash32>()
            for (commitView, byHash) in slot.commits.sorted(by: { $0.key < $1.key }) where commitView < view {
                let complete = byHash.filter { $0.value.count >= quorum && !decided.contains($0.key) }
                slot.commits[commitView] = complete.isEmpty ? nil : complete
                decided.formUnion(complete.keys)
            }
            // One block per decided hash, the one of the lowest view.
            var kept = Set<Hash32>()
            for (proposalView, proposal) in slot.proposals.sorted(by: { $0.key < $1.key }) where proposalView < view {
                if !decided.contains(proposal.blockHash) || !kept.insert(proposal.blockHash).inserted { slot.proposals[proposalView] = nil }
            }
            slots[height] = slot.isEmpty ? nil : slot
        }
    }
}
