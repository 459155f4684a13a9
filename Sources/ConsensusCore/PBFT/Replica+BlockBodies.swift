/// Block bodies by hash: a NewView re-proposes blocks by header, and a
/// replica that never saw one of them fetches its transactions from the
/// leader, then from the other validators in turn, and checks them against
/// the header (root and count) before taking the re-proposal up.
extension Replica {
    /// A block this replica holds with `hash` at `height`: from a proposal
    /// or prepared certificate in its slot, or committed.
    func heldBlock(height: UInt64, hash: Hash32) -> Block? {
        if let block = slots[height]?.block(for: hash) { return block }
        if let committed = log.block(at: height), committed.blockHash == hash { return committed.block }
        return nil
    }

    /// Takes up a NewView's re-proposals above the committed height: at once
    /// when the block is held, else by fetching its transactions. On
    /// entering the view, and again on a restart in it (the re-proposals
    /// bind the heights whatever the new leader proposes next).
    ///
    /// Every one of them, however far above this replica's window: a
    /// lagging leader that skipped those beyond it caught up and proposed
    /// another block at a re-proposed height of its own NewView (the
    /// simulator's equivocation check, seed 9005206). A NewView carries at
    /// most two windows of them, so this stays bounded.
    mutating func installReproposals(of newView: NewView) {
        missingBodies = [:]
        for proposal in newView.proposals where proposal.header.height > committedHeight {
            let height = proposal.header.height
            guard slots[height]?.proposals[newView.view] == nil else { continue }
            if let block = heldBlock(height: height, hash: proposal.blockHash) {
                slots[height, default: Slot()].proposals[newView.view] = proposal.proposal(with: block)
            } else {
                missingBodies[height] = proposal
            }
        }
        lastBodyRequestMs = nil
        requestMissingBodies()
    }

    /// Asks one peer for every missing body, at most once per request
    /// interval: the new leader first, then each other validator in turn.
    mutating func requestMissingBodies() {
        missingBodies = missingBodies.filter { $0.key > committedHeight && $0.value.view == view }
        guard !missingBodies.isEmpty else { return }
        if let last = lastBodyRequestMs, nowMs - last < config.blockRequestIntervalMs { return }
        // Not gated by catch-up distrust: a peer that had no newer blocks to
        // give is no reason to skip it here (an attacker withholding blocks
        // got every honest peer passed over), and a wrong body is caught by
        // the header check whoever sends it.
        var peer = lastBodyPeer.map(nextValidator(after:)) ?? leader
        if peer == localID { peer = nextValidator(after: peer) }
        lastBodyRequestMs = nowMs
        lastBodyPeer = peer
        for (height, proposal) in missingBodies.sorted(by: { $0.key < $1.key }) {
            output.messages.append(.send(.blockBodyRequest(height: height, blockHash: proposal.blockHash), to: peer))
        }
    }

    mutating func answerBodyRequest(height: UInt64, hash: Hash32, to peer: ValidatorID) {
        guard let block = heldBlock(height: height, hash: hash) else { return }
        output.messages.append(.send(.blockBody(block), to: peer))
    }

    /// Takes up a re-proposal once its transactions arrive and match its
    /// header; anything else (a block nobody asked for, another body under
    /// the hash) is dropped.
    mutating func receiveBody(_ block: Block, from peer: ValidatorID) {
        guard block.height > committedHeight, let wanted = missingBodies[block.height], wanted.view == view,
              block.transactions.count == Int(wanted.header.transactionCount),
              wanted.header.isHeader(of: block, crypto: crypto), block.transactions.allSatisfy(transactionValidator.identifies) else { return }
        missingBodies[block.height] = nil
        slots[block.height, default: Slot()].proposals[view] = wanted.proposal(with: block)
        progress()
    }
}
