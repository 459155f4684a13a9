/// State transfer: a replica so far behind that its peers no longer hold the
/// blocks it misses takes a snapshot instead. The snapshot arrives in chunks
/// from one peer; the checkpoint it claims must carry a quorum of
/// signatures, and the assembled entries must reproduce the checkpoint's
/// state root before anything is installed. A peer whose snapshot fails is
/// distrusted and the transfer starts over with another.
extension Replica {
    /// The most chunks a transfer's time budget counts (one request
    /// interval each): beyond, a peer's claimed count buys no more time.
    static let snapshotBudgetChunks: UInt32 = 1_024

    /// Sends chunk `index` of the stable snapshot (cutting it on first use).
    mutating func sendSnapshotChunk(_ index: UInt32, to peer: ValidatorID) {
        guard let snapshot = stableSnapshot else { return }
        if servedChunks?.height != snapshot.height {
            let entries = snapshot.state.entries()
            // At most `snapshotChunkEntries` entries and the block byte budget
            // per chunk (at least one entry), so every chunk fits in a frame.
            var chunks: [[StateEntry]] = [[]]
            var bytes = 0
            for entry in entries {
                let size = entry.key.count + entry.value.count
                if !chunks[chunks.count - 1].isEmpty,
                   chunks[chunks.count - 1].count >= config.snapshotChunkEntries || bytes + size > config.maximumBlockBytes {
                    chunks.append([])
                    bytes = 0
                }
                chunks[chunks.count - 1].append(entry)
                bytes += size
            }
            servedChunks = (snapshot.height, chunks)
        }
        guard let served = servedChunks, Int(index) < served.chunks.count else { return }
        let chunk = SnapshotChunk(
            checkpoint: snapshot.checkpoint, index: index, count: UInt32(served.chunks.count),
            block: index == 0 ? snapshot.block : nil, entries: served.chunks[Int(index)])
        output.messages.append(.send(.snapshotChunk(chunk), to: peer))
    }

    mutating func answerSnapshotRequest(height: UInt64, chunk: UInt32, to peer: ValidatorID) {
        guard let snapshot = stableSnapshot else { return }
        if snapshot.height == height {
            sendSnapshotChunk(chunk, to: peer)
        } else if snapshot.height > height {
            // A request for an older snapshot (or from a diverged replica at
            // `height`) gets the first chunk of the current one; a request
            // from above this snapshot gets nothing it could use.
            sendSnapshotChunk(0, to: peer)
        }
    }

    mutating func receiveSnapshotChunk(_ chunk: SnapshotChunk, from peer: ValidatorID) {
        let height = chunk.checkpoint.height
        // An honest snapshot has no empty chunk but the only one of an empty state.
        guard height > committedHeight, chunk.count >= 1, chunk.count <= config.maximumSnapshotChunks, chunk.index < chunk.count,
              chunk.entries.count <= config.snapshotChunkEntries, !chunk.entries.isEmpty || chunk.count == 1 else { return }
        // A new offer only from a peer this replica asked (for blocks or, when
        // diverged, for a snapshot) within the last ten request intervals:
        // an unsolicited offer with a huge chunk count would otherwise hold
        // the transfer (found by an attacker's review: a halted replica never
        // recovered). A distrusted peer is not asked, so not solicited.
        let solicited = askedPeers[peer].map { nowMs - $0 <= config.blockRequestIntervalMs * 10 } ?? false
        if chunk.index == 0, let block = chunk.block, solicited,
           transfer.map({ $0.checkpoint.height < height || $0.peer == peer }) ?? true,
           transfer?.checkpoint != chunk.checkpoint {
            // A (newer) snapshot on offer: believe the checkpoint only with a
            // quorum of signatures, and the block only with its certificate.
            guard chunk.checkpoint.isValid(in: validatorSet, crypto: crypto), block.height == height,
                  block.blockHash == chunk.checkpoint.blockHash, block.isValid(in: validatorSet, crypto: crypto) else {
                statistics.rejectedSnapshots += 1
                distrust(peer)
                return
            }
            // The whole transfer gets ten request intervals plus one per
            // chunk: a peer trickling chunks just inside the stall limit
            // still runs out of time and is replaced.
            // Capped whatever count the peer claims.
            let budget = config.blockRequestIntervalMs * (10 + Int64(min(chunk.count, Self.snapshotBudgetChunks)))
            transfer = SnapshotTransfer(
                checkpoint: chunk.checkpoint, block: block, count: chunk.count, peer: peer, lastProgressMs: nowMs, lastRequestMs: nowMs,
                deadlineMs: nowMs.saturatingAdding(budget))
        }
        // A duplicate (the network repeats, Byzantine peers replay) asks for
        // nothing: each new chunk asks for exactly one more.
        guard var current = transfer, current.peer == peer, current.checkpoint == chunk.checkpoint, current.count == chunk.count,
              current.chunks[chunk.index] == nil else { return }
        let bytes = chunk.entries.reduce(0) { $0 + $1.key.count + $1.value.count }
        guard current.bytes + bytes <= config.maximumSnapshotBytes else {
            // More state than any honest snapshot of this chain holds.
            transfer = nil
            forgedSnapshot(from: peer)
            return
        }
        current.chunks[chunk.index] = chunk.entries
        current.bytes += bytes
        while current.nextMissing < current.count, current.chunks[current.nextMissing] != nil { current.nextMissing += 1 }
        current.lastProgressMs = nowMs
        transfer = current
        if !requestMissingChunk() { install(current) }
    }

    /// Asks the transfer's peer for the first chunk not yet held; false when all are in.
    @discardableResult
    private mutating func requestMissingChunk() -> Bool {
        guard let current = transfer, current.nextMissing < current.count else { return false }
        output.messages.append(.send(.snapshotRequest(height: current.checkpoint.height, chunk: current.nextMissing), to: current.peer))
        return true
    }

    /// Verifies the assembled snapshot against its certified root, then
    /// takes it as this replica's state.
    private mutating func install(_ done: SnapshotTransfer) {
        transfer = nil
        let entries = (0..<done.count).flatMap { done.chunks[$0] ?? [] }
        var state: LedgerState
        do {
            state = try LedgerState(height: done.checkpoint.height, entries: entries, config: config.state, crypto: crypto)
        } catch {
            forgedSnapshot(from: done.peer)
            return
        }
        guard state.root() == done.checkpoint.stateRoot else {
            forgedSnapshot(from: done.peer)
            return
        }
        let height = done.checkpoint.height
        ledger = state
        stateRoot = done.checkpoint.stateRoot
        // A certified state replaces whatever this replica computed: a
        // divergence is repaired from here.
        divergence = nil
        log.reset(to: done.block)
        lastHash = done.block.blockHash
        slots = slots.filter { $0.key > height }
        stashedCommits = stashedCommits.filter { $0.key > height }
        sentVotes = sentVotes.filter { $0.key.height > height }
        mempool.removeAll { _, event in ledger.committedRecord(for: event) != nil }
        let snapshot = StateSnapshot(checkpoint: done.checkpoint, block: done.block, state: state)
        stableSnapshot = snapshot
        statistics.snapshotsInstalled += 1
        output.persists.append(.persist(.snapshot(snapshot)))
        output.commits.append(.stateTransferred(done.checkpoint))
        collectGarbage(below: height)
        lastBlockRequestMs = nil
        requestBlocks(from: done.peer)
        progress()
    }

    private mutating func forgedSnapshot(from peer: ValidatorID) {
        statistics.rejectedSnapshots += 1
        distrust(peer)
        requestBlocks(from: peer)
    }

    /// A transfer whose peer went quiet is abandoned; the next block request
    /// goes elsewhere and brings a fresh offer.
    /// (A lost request or chunk is asked for again after a request interval.)
    mutating func retryStalledTransfer() {
        guard var current = transfer, nowMs - current.lastProgressMs > config.blockRequestIntervalMs || nowMs > current.deadlineMs else { return }
        if nowMs - current.lastProgressMs > config.blockRequestIntervalMs * 10 || nowMs > current.deadlineMs {
            statistics.abandonedTransfers += 1
            transfer = nil
            distrust(current.peer)
            requestBlocks(from: current.peer)
            return
        }
        if nowMs - current.lastRequestMs > config.blockRequestIntervalMs {
            current.lastRequestMs = nowMs
            transfer = current
            requestMissingChunk()
        }
    }
}
