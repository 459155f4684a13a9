/// The state at a stable checkpoint, kept to restart from and to hand to a
/// replica that is too far behind to replay blocks.
///
/// Holding a `LedgerState` value costs nothing until the live state changes
/// (copy on write); the entries are exported only when someone needs them.
public struct StateSnapshot: Hashable, Sendable {
    public let checkpoint: StableCheckpoint
    /// The block at the checkpoint height, with its commit certificate (the
    /// parent of the next block, and the committed certificate a view change
    /// carries).
    public let block: CommittedBlock
    public let state: LedgerState

    public init(checkpoint: StableCheckpoint, block: CommittedBlock, state: LedgerState) {
        self.checkpoint = checkpoint
        self.block = block
        self.state = state
    }

    public var height: UInt64 { checkpoint.height }

    public static func == (lhs: StateSnapshot, rhs: StateSnapshot) -> Bool {
        lhs.checkpoint == rhs.checkpoint && lhs.block == rhs.block
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(checkpoint)
    }
}

/// One piece of a snapshot on the way to a replica that is behind. Every
/// chunk carries the stable checkpoint it belongs to; chunk 0 also carries
/// the checkpoint block. Nothing in it is trusted until all chunks are in
/// and their root equals the checkpoint's, which a quorum signed.
public struct SnapshotChunk: Hashable, Sendable {
    public let checkpoint: StableCheckpoint
    public let index: UInt32
    public let count: UInt32
    public let block: CommittedBlock?
    public let entries: [StateEntry]

    public init(checkpoint: StableCheckpoint, index: UInt32, count: UInt32, block: CommittedBlock?, entries: [StateEntry]) {
        self.checkpoint = checkpoint
        self.index = index
        self.count = count
        self.block = block
        self.entries = entries
    }
}
