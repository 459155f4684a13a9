/// Checkpoints and garbage collection: every `checkpointInterval` blocks
/// each replica signs its state root; a quorum of matching checkpoints is
/// stable, and everything below it (votes, certificates, old blocks,
/// checkpoint votes) is dropped, so memory stays flat however long the
/// cluster runs.
extension Replica {
    /// Signs and broadcasts this replica's checkpoint after executing `block`,
    /// keeping its state at that height (copy on write) until it is stable.
    mutating func takeCheckpoint(_ block: CommittedBlock) {
        let checkpoint = Checkpoint.make(
            height: block.height, blockHash: block.blockHash, blockTimestampMs: block.block.timestampMs,
            stateRoot: ledger.root(), voter: localID, signer: signer)
        checkpointStates[block.height] = (ledger, block)
        checkpointVotes[block.height, default: [:]][localID] = checkpoint
        output.messages.append(.broadcast(.checkpoint(checkpoint)))
        tryStabilize(block.height)
    }

    /// Heights above the stable checkpoint for which votes are kept: beyond,
    /// the replica is behind and fetches instead of collecting.
    var checkpointWindowTop: UInt64 { max(committedHeight, stableHeight) + config.checkpointInterval * 4 }

    var stableHeight: UInt64 { stableSnapshot?.height ?? 0 }

    mutating func receiveCheckpoint(_ checkpoint: Checkpoint, from sender: ValidatorID) {
        guard checkpoint.voter == sender, checkpoint.height % config.checkpointInterval == 0,
              checkpoint.height > stableHeight, checkpointVotes[checkpoint.height]?[sender] == nil else { return }
        // Verified before it can make this replica ask anyone for anything.
        guard checkpoint.isValid(in: validatorSet, crypto: crypto) else { return }
        guard checkpoint.height <= checkpointWindowTop else {
            requestBlocks(from: sender)
            return
        }
        checkpointVotes[checkpoint.height, default: [:]][sender] = checkpoint
        tryStabilize(checkpoint.height)
        // Peers have checkpointed beyond what this replica has executed.
        if checkpoint.height > committedHeight + config.windowSize { requestBlocks(from: sender) }
    }

    /// Makes the checkpoint at `height` stable once a quorum agrees on it.
    mutating func tryStabilize(_ height: UInt64) {
        guard height > stableHeight, let votes = checkpointVotes[height] else { return }
        var byClaim: [Checkpoint.Claim: [Checkpoint]] = [:]
        for checkpoint in votes.values { byClaim[checkpoint.claim, default: []].append(checkpoint) }
        guard let (claim, agreeing) = byClaim.first(where: { $0.value.count >= validatorSet.quorum.size }) else { return }
        let stable = StableCheckpoint(checkpoints: agreeing)
        if let own = checkpointStates[height] {
            // A quorum vouches for a different state than ours: this replica
            // is not executing like the others. Keep it out of GC and serving.
            let ownClaim = votes[localID]?.claim
            guard ownClaim == claim else {
                if let ownClaim, ownClaim.blockHash == claim.blockHash {
                    diverge(Divergence(checkpointAt: height, certifiedRoot: claim.stateRoot, ownRoot: ownClaim.stateRoot))
                }
                return
            }
            let snapshot = StateSnapshot(checkpoint: stable, block: own.block, state: own.state)
            stableSnapshot = snapshot
            statistics.stableCheckpoints += 1
            output.persists.append(.persist(.snapshot(snapshot)))
            collectGarbage(below: height)
        } else if height > committedHeight {
            // The cluster is a checkpoint ahead of this replica: catch up.
            let peer = stable.checkpoints.map(\.voter).first { $0 != localID } ?? localID
            requestBlocks(from: peer)
        }
    }

    /// Drops what no honest replica will ask for again.
    mutating func collectGarbage(below height: UInt64) {
        checkpointVotes = checkpointVotes.filter { $0.key > height }
        checkpointStates = checkpointStates.filter { $0.key > height }
        if let served = servedChunks, served.height != height { servedChunks = nil }
        let keepFrom = height + 1 > UInt64(config.retainedBlocks) ? height + 1 - UInt64(config.retainedBlocks) : 1
        log.trim(keepingFrom: keepFrom)
        stashedCommits = stashedCommits.filter { $0.key > committedHeight }
        blamedViews = blamedViews.filter { $0 + 1 >= view }
        distrusted = distrusted.filter { $0.value > nowMs }
    }
}
