/// Everything validators send each other: the genesis ceremony, PBFT, the
/// idle leader's heartbeat, checkpoints, block catch-up and state transfer.
public enum ConsensusMessage: Hashable, Sendable {
    case genesis(GenesisMessage)
    case proposal(Proposal)
    case vote(Vote)
    case viewChange(ViewChange)
    case newView(NewView)
    case heartbeat(LeaderHeartbeat)
    /// "Send me committed blocks from this height."
    case blockRequest(fromHeight: UInt64)
    case blocks([CommittedBlock])
    /// "My state after this height has this root" (every checkpoint interval).
    case checkpoint(Checkpoint)
    /// "Send me chunk `chunk` of your snapshot at `height`."
    case snapshotRequest(height: UInt64, chunk: UInt32)
    case snapshotChunk(SnapshotChunk)
    /// "Send me the block with this hash at this height" (a re-proposal's transactions).
    case blockBodyRequest(height: UInt64, blockHash: Hash32)
    case blockBody(Block)

    /// A short name for logs and metrics.
    public var kind: String {
        switch self {
        case .genesis(.ready): return "genesis_ready"
        case .genesis(.certificate): return "genesis_certificate"
        case .proposal: return "proposal"
        case let .vote(vote): return vote.phase == .prepare ? "prepare" : "commit"
        case .viewChange: return "view_change"
        case .newView: return "new_view"
        case .heartbeat: return "heartbeat"
        case .blockRequest: return "block_request"
        case .blocks: return "blocks"
        case .checkpoint: return "checkpoint"
        case .snapshotRequest: return "snapshot_request"
        case .snapshotChunk: return "snapshot_chunk"
        case .blockBodyRequest: return "block_body_request"
        case .blockBody: return "block_body"
        }
    }
}

/// Sent by a leader with nothing to propose, so that a dead leader is noticed
/// without load.
public struct LeaderHeartbeat: Hashable, Sendable {
    public let view: UInt64
    public let leader: ValidatorID
    public let committedHeight: UInt64
    /// The leader's clock when it signed: a replica counts a heartbeat as
    /// the leader's activity only if it is later than the last one it
    /// counted, so a replayed heartbeat cannot mask a dead leader.
    public let sentAtMs: Int64
    public let signature: [UInt8]

    /// A heartbeat as received; replicas verify it.
    public init(view: UInt64, leader: ValidatorID, committedHeight: UInt64, sentAtMs: Int64, signature: [UInt8]) {
        self.view = view
        self.leader = leader
        self.committedHeight = committedHeight
        self.sentAtMs = sentAtMs
        self.signature = signature
    }

    public static func make(view: UInt64, leader: ValidatorID, committedHeight: UInt64, sentAtMs: Int64, signer: any MessageSigner) -> LeaderHeartbeat {
        LeaderHeartbeat(
            view: view, leader: leader, committedHeight: committedHeight, sentAtMs: sentAtMs,
            signature: signer.sign(signBytes(view: view, leader: leader, committedHeight: committedHeight, sentAtMs: sentAtMs)))
    }

    static func signBytes(view: UInt64, leader: ValidatorID, committedHeight: UInt64, sentAtMs: Int64) -> [UInt8] {
        var encoder = CanonicalEncoder(domain: "cybermesh.pbft.heartbeat.v2")
        encoder.append(view)
        encoder.append(leader.value)
        encoder.append(committedHeight)
        encoder.append(sentAtMs)
        return encoder.bytes
    }

    func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        guard set.leader(ofView: view) == leader, let info = set.info(leader) else { return false }
        return crypto.verify(
            signature: signature, message: Self.signBytes(view: view, leader: leader, committedHeight: committedHeight, sentAtMs: sentAtMs),
            publicKey: info.publicKey)
    }
}
