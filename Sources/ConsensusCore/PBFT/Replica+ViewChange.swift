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
        mode = .viewChange(target: target, startedMs: nowMs, timeoutMs: timeout)
        viewChangeCount += 1
        let change = ViewChange.make(
            newView: target, voter: localID, committed: log.last?.certificate,
            prepared: preparedChain(), signer: signer)
        lastViewChangeSent = change
        viewChanges[target, default: [:]][localID] = change
        output.persists.append(.persist(.viewChange(change)))
        output.messages.append(.broadcast(.viewChange(change)))
        tryNewView(target)
    }

    var targetViewIfChanging: UInt64 {
        if case let .viewChange(target, _, _) = mode { return target }
        return 0
    }

    /// The highest-view prepared certificates above the committed height,
    /// as long as each extends the one below.
    func preparedChain() -> [PreparedCertificate] {
        var chainOut: [PreparedCertificate] = []
        var parent = lastHash
        var height = committedHeight + 1
        while let certificate = slots[height]?.prepared, certificate.block.previousHash == parent {
            chainOut.append(certificate)
            parent = certificate.blockHash
            height += 1
        }
        return chainOut
    }

    mutating func receiveViewChange(_ change: ViewChange) {
        // A validator asking for a view change while behind may simply have
        // missed blocks: hand them over (it verifies their certificates).
        if change.committedHeight < committedHeight, validatorSet.contains(change.voter) {
            pushBlocks(from: change.committedHeight + 1, to: change.voter)
        }
        guard change.newView > view else {
            // A validator still asking for a view this replica already
            // reached: its leader re-sends the NewView.
            if change.newView == view, leader == localID, mode == .normal, let newView = lastNewView, newView.view == view {
                output.messages.append(.send(.newView(newView), to: change.voter))
            }
            return
        }
        guard viewChanges[change.newView]?[change.voter] == nil,
              change.isValid(in: validatorSet, anchor: genesisHash, crypto: crypto) else { return }
        viewChanges[change.newView, default: [:]][change.voter] = change
        if change.committedHeight > committedHeight { requestBlocks(from: change.voter) }
        // f+1 validators want a later view: at least one is honest, so join
        // the smallest such view rather than be left behind.
        let current = max(view, targetViewIfChanging)
        var voters = Set<ValidatorID>()
        var smallest = UInt64.max
        for (candidate, byVoter) in viewChanges where candidate > current {
            voters.formUnion(byVoter.keys)
            smallest = min(smallest, candidate)
        }
        if voters.count >= validatorSet.quorum.faultTolerance + 1, smallest != .max {
            startViewChange(to: smallest, leaderFailed: true)
        }
        tryNewView(change.newView)
    }

    /// The new leader announces the view once it holds a quorum of view changes.
    mutating func tryNewView(_ target: UInt64) {
        guard validatorSet.leader(ofView: target) == localID, target > view, !sentNewView.contains(target),
              let changes = viewChanges[target], changes.count >= validatorSet.quorum.size else { return }
        sentNewView.insert(target)
        let used = changes.values.sorted { $0.voter < $1.voter }
        let selection = NewViewSelection.select(from: used, anchor: genesisHash)
        let proposals = selection.blocks.map { Proposal.make(view: target, block: $0, crypto: crypto, signer: signer) }
        let newView = NewView.make(view: target, viewChanges: used, proposals: proposals, signer: signer)
        output.messages.append(.broadcast(.newView(newView)))
        enter(newView, selection: selection)
    }

    mutating func receiveNewView(_ newView: NewView, from sender: ValidatorID) {
        guard newView.view > view, newView.view >= targetViewIfChanging else { return }
        let newLeader = validatorSet.leader(ofView: newView.view)
        guard let info = validatorSet.info(newLeader),
              crypto.verify(signature: newView.signature, message: newView.signBytes, publicKey: info.publicKey) else { return }
        var voters = Set<ValidatorID>()
        for change in newView.viewChanges {
            guard change.newView == newView.view, voters.insert(change.voter).inserted,
                  change.isValid(in: validatorSet, anchor: genesisHash, crypto: crypto) else { return }
        }
        guard voters.count >= validatorSet.quorum.size else { return }
        let selection = NewViewSelection.select(from: newView.viewChanges, anchor: genesisHash)
        guard selection.blocks.count == newView.proposals.count else { return }
        for (block, proposal) in zip(selection.blocks, newView.proposals) {
            guard proposal.view == newView.view, proposal.block == block, proposal.isValid(in: validatorSet, crypto: crypto) else { return }
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
        output.persists.append(.persist(.enteredView(view)))
        viewChanges = viewChanges.filter { $0.key > view }
        sentNewView = sentNewView.filter { $0 >= view }
        for proposal in newView.proposals where proposal.block.height > committedHeight && proposal.block.height <= highestTrackedHeight {
            slots[proposal.block.height, default: Slot()].proposals[view] = proposal
        }
        replayEarlyProposals()
        progress()
    }
}
