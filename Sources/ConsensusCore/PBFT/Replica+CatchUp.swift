/// Catching up: a replica that learns others are ahead fetches committed
/// blocks with their commit certificates and executes each one it can
/// verify. A certificate is a quorum of signatures, so no single peer's word
/// is trusted.
extension Replica {
    mutating func requestBlocks(from peer: ValidatorID) {
        guard peer != localID, lastBlockRequestMs.map({ nowMs - $0 >= config.blockRequestIntervalMs }) ?? true else { return }
        lastBlockRequestMs = nowMs
        output.messages.append(.send(.blockRequest(fromHeight: committedHeight + 1), to: peer))
    }

    /// Sends committed blocks to a peer known to be behind, at most once per
    /// request interval per peer.
    mutating func pushBlocks(from height: UInt64, to peer: ValidatorID) {
        if let last = lastPushMs[peer], nowMs - last < config.blockRequestIntervalMs { return }
        lastPushMs[peer] = nowMs
        answerBlockRequest(from: height, to: peer)
    }

    mutating func answerBlockRequest(from height: UInt64, to peer: ValidatorID) {
        guard height >= 1, height <= committedHeight else { return }
        let end = min(committedHeight, height + UInt64(config.blocksPerResponse) - 1)
        output.messages.append(.send(.blocks(Array(chain[Int(height - 1)..<Int(end)])), to: peer))
    }

    mutating func receiveBlocks(_ blocks: [CommittedBlock], from peer: ValidatorID) {
        var advanced = false
        for block in blocks.prefix(config.blocksPerResponse) {
            guard block.height > committedHeight, block.height <= committedHeight + UInt64(config.blocksPerResponse) * 2 else { continue }
            guard block.isValid(in: validatorSet, crypto: crypto) else { return }
            if block.height == committedHeight + 1 {
                guard block.block.previousHash == lastHash else { return }
                execute(block)
                advanced = true
                while let next = stashedCommits.removeValue(forKey: committedHeight + 1), next.block.previousHash == lastHash {
                    execute(next)
                }
            } else {
                stashedCommits[block.height] = block
            }
        }
        if advanced {
            progress()
            if blocks.count >= config.blocksPerResponse {
                lastBlockRequestMs = nil
                requestBlocks(from: peer)
            }
        }
    }
}
