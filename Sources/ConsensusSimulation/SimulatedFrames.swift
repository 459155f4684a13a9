import ConsensusCore

/// What a message would weigh on the Wire, from above (protobuf field tags
/// and lengths counted generously): the simulator has no codec, but it must
/// see when an honest replica would send a frame the links refuse.
enum SimulatedFrames {
    /// The Wire's frame limit (Wire.FrameCodec: 4 MiB).
    static let limit = 4 << 20

    static func bytes(_ message: ConsensusMessage) -> Int {
        switch message {
        case .genesis: return 2_048
        case let .proposal(proposal): return 120 + bytes(proposal.block)
        case .vote: return voteBytes
        case let .viewChange(change): return bytes(change)
        case let .newView(newView): return 120 + newView.viewChanges.reduce(0) { $0 + bytes($1) } + newView.proposals.count * (headerBytes + 120)
        case .heartbeat: return 120
        case .blockRequest, .snapshotRequest, .blockBodyRequest: return 64
        case let .blocks(blocks): return blocks.reduce(16) { $0 + bytes($1.block) + certificate($1.certificate) + 48 }
        case .checkpoint: return 200
        case let .snapshotChunk(chunk):
            let block = chunk.block.map { bytes($0.block) + certificate($0.certificate) } ?? 0
            return 64 + chunk.checkpoint.checkpoints.count * 200 + block + chunk.entries.reduce(0) { $0 + $1.key.count + $1.value.count + 12 }
        case let .blockBody(block): return bytes(block)
        }
    }

    static let voteBytes = 140
    static let headerBytes = 260

    static func bytes(_ block: Block) -> Int { headerBytes + block.transactions.reduce(0) { $0 + 32 + $1.payload.count + 12 } }

    static func certificate(_ certificate: QuorumCertificate) -> Int { 8 + certificate.votes.count * voteBytes }

    static func bytes(_ change: ViewChange) -> Int {
        120 + (change.committed.map(certificate) ?? 0) + change.prepared.reduce(0) { $0 + headerBytes + 48 + certificate($1.prepares) }
    }
}
