/// Catching up: a replica that learns others are ahead fetches committed
/// blocks with their commit certificates and executes each one it can
/// verify. A certificate is a quorum of signatures, so no single peer's word
/// is trusted; a peer caught serving something that does not verify is not
/// asked again for a while.
extension Replica {
    /// Asks `peer` (or, if it served forgeries, another validator) for the
    /// blocks after this replica's height, at most once per request interval.
    ///
    /// A peer whose last request brought nothing (this replica's height did
    /// not move) is passed over for ten request intervals and the next
    /// validator asked: a peer that answers slowly, partially or never
    /// cannot hold catch-up.
    mutating func requestBlocks(from peer: ValidatorID) {
        // A diverged replica executes nothing until a snapshot repairs it:
        // blocks would only be fetched, checked and dropped.
        guard divergence == nil, lastBlockRequestMs.map({ nowMs - $0 >= config.blockRequestIntervalMs }) ?? true else { return }
        var preferred = peer
        if let last = lastBlockRequest, last.fromHeight == committedHeight + 1 {
            distrusted[last.peer] = max(distrusted[last.peer] ?? .min, nowMs.saturatingAdding(config.blockRequestIntervalMs * 10))
            statistics.unresponsivePeers += 1
            if preferred == last.peer { preferred = nextValidator(after: last.peer) }
        }
        guard let target = trustedPeer(preferring: preferred) else { return }
        lastBlockRequestMs = nowMs
        lastBlockRequest = (target, committedHeight + 1)
        askedPeers[target] = nowMs
        output.messages.append(.send(.blockRequest(fromHeight: committedHeight + 1), to: target))
    }

    func nextValidator(after id: ValidatorID) -> ValidatorID {
        let ids = validatorSet.ids
        let index = ids.firstIndex(of: id) ?? 0
        return ids[(index + 1) % ids.count]
    }

    /// Whether `peer` may have another block or snapshot request served:
    /// at most `requestsPerPeerPerInterval` per request interval. Requests
    /// are unsigned and each answer can be large: this is what keeps a peer
    /// from turning this replica into an amplifier.
    mutating func admitRequest(from peer: ValidatorID) -> Bool {
        var window = servedRequests[peer] ?? (startMs: nowMs, count: 0)
        if nowMs - window.startMs >= config.blockRequestIntervalMs { window = (nowMs, 0) }
        guard window.count < config.requestsPerPeerPerInterval else {
            statistics.throttledRequests += 1
            return false
        }
        window.count += 1
        servedRequests[peer] = window
        return true
    }

    /// `preferred` unless it is this replica or distrusted; then the next
    /// validator in id order that is neither.
    func trustedPeer(preferring preferred: ValidatorID) -> ValidatorID? {
        func usable(_ id: ValidatorID) -> Bool { id != localID && (distrusted[id].map { $0 <= nowMs } ?? true) }
        if usable(preferred) { return preferred }
        let ids = validatorSet.ids
        let start = ids.firstIndex(of: preferred) ?? 0
        for offset in 1...ids.count {
            let candidate = ids[(start + offset) % ids.count]
            if usable(candidate) { return candidate }
        }
        return nil
    }

    /// Remembers that `peer` served something forged.
    mutating func distrust(_ peer: ValidatorID) {
        distrusted[peer] = nowMs + config.distrustMs
        lastBlockRequestMs = nil
    }

    /// Sends committed blocks to a peer known to be behind, at most once per
    /// request interval per peer.
    mutating func pushBlocks(from height: UInt64, to peer: ValidatorID) {
        if let last = lastPushMs[peer], nowMs - last < config.blockRequestIntervalMs { return }
        lastPushMs[peer] = nowMs
        answerBlockRequest(from: height, to: peer)
    }

    /// Blocks from `height` if still held; a peer asking for blocks dropped
    /// after a stable checkpoint gets the snapshot's first chunk instead.
    mutating func answerBlockRequest(from height: UInt64, to peer: ValidatorID) {
        guard height >= 1, height <= committedHeight else { return }
        if height < log.firstHeight {
            if let snapshot = stableSnapshot, snapshot.height >= height { sendSnapshotChunk(0, to: peer) }
            return
        }
        let end = min(committedHeight, height + UInt64(config.blocksPerResponse) - 1)
        // Cut to the block byte budget (at least one block), so an answer
        // always fits in a frame; the peer asks again from where it ends.
        var answer: [CommittedBlock] = []
        var bytes = 0
        for block in log.blocks(from: height, through: end) {
            if !answer.isEmpty, bytes + block.block.payloadBytes > config.maximumBlockBytes { break }
            bytes += block.block.payloadBytes
            answer.append(block)
        }
        output.messages.append(.send(.blocks(answer), to: peer))
    }

    mutating func receiveBlocks(_ blocks: [CommittedBlock], from peer: ValidatorID) {
        guard divergence == nil else { return }
        var advanced = false
        for block in blocks.prefix(config.blocksPerResponse) {
            guard block.height > committedHeight, block.height <= committedHeight + UInt64(config.blocksPerResponse) * 2 else { continue }
            // The certificate binds the bytes (the Merkle leaves cover them);
            // each transaction must also be the event its id names.
            guard block.isValid(in: validatorSet, crypto: crypto), block.block.transactions.allSatisfy(transactionValidator.identifies) else {
                statistics.rejectedBlocks += 1
                distrust(peer)
                return
            }
            if block.height == committedHeight + 1 {
                guard block.block.previousHash == lastHash, executeIfConsistent(block) else { return }
                advanced = true
                while let next = stashedCommits.removeValue(forKey: committedHeight + 1), next.block.previousHash == lastHash,
                      executeIfConsistent(next) {}
            } else {
                stashedCommits[block.height] = block
            }
        }
        if advanced {
            progress()
            // A full answer, by count or (nearly) by bytes: there is more; ask at once.
            let bytes = blocks.reduce(0) { $0 + $1.block.payloadBytes }
            if blocks.count >= config.blocksPerResponse || bytes * 2 >= config.maximumBlockBytes {
                lastBlockRequestMs = nil
                requestBlocks(from: peer)
            }
        }
    }
}
