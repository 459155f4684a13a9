/// PBFT timing and limits, in milliseconds and counts. Defaults suit a
/// LAN cluster; the simulator and tests set their own.
public struct PBFTConfig: Sendable, Equatable {
    /// Heights that may be in flight above the last committed one.
    public var windowSize: UInt64 = 4
    /// Views above the one a replica is in (or moving to) whose votes and
    /// proposals it keeps; anything further is dropped unverified.
    public var futureViewWindow: UInt64 = 4
    /// Proposals for later views kept until their NewView arrives.
    public var earlyProposalLimit = 64
    /// PBFT messages kept while genesis is not complete here (shared fairly among validators).
    public var preGenesisLimit = 512
    /// Transactions per block at most.
    public var maximumBlockTransactions = 500
    /// Transaction bytes per block at most: under the 4 MiB frame with room
    /// for the proposal around it (500 events of 64 KiB would be 32 MiB and
    /// close every link). Catch-up answers are cut to the same budget.
    public var maximumBlockBytes = 3 << 20
    /// A transaction held this long (since it arrived or the view began)
    /// without being committed makes the replica suspect the leader.
    public var requestTimeoutMs: Int64 = 5_000
    /// Nothing from the leader for this long makes the replica suspect it.
    public var leaderTimeoutMs: Int64 = 3_000
    /// An idle leader sends a heartbeat this often.
    public var heartbeatIntervalMs: Int64 = 500
    /// With heights in flight and no commit for this long, a replica sends
    /// its votes of the current view again (and the leader its proposals):
    /// a lost message costs a retransmission, not a view change.
    public var retransmitIntervalMs: Int64 = 1_000
    /// Waiting for a new view: the base timeout, doubling with every view
    /// change that brings no commit, back to the base after a commit.
    public var viewChangeTimeoutBaseMs: Int64 = 2_000
    public var viewChangeTimeoutCapMs: Int64 = 60_000
    /// A proposed block's timestamp may be at most this far from the replica's clock.
    public var blockTimestampToleranceMs: Int64 = 30_000
    /// Catch-up: blocks per response, and how often to ask.
    public var blocksPerResponse = 64
    public var blockRequestIntervalMs: Int64 = 300
    /// Block and snapshot requests served per peer per request interval.
    public var requestsPerPeerPerInterval = 8
    /// A snapshot offer may have at most this many chunks, and the chunks
    /// held while it is assembled at most this many bytes.
    public var maximumSnapshotChunks: UInt32 = 65_536
    public var maximumSnapshotBytes = 1 << 30
    /// A checkpoint every this many blocks; a stable one lets everything
    /// below it be garbage-collected.
    public var checkpointInterval: UInt64 = 100
    /// Committed blocks kept in memory below the stable checkpoint, for
    /// peers that are only a little behind (further behind: a snapshot).
    public var retainedBlocks = 200
    /// State entries per snapshot chunk.
    public var snapshotChunkEntries = 4_096
    /// A peer that served a forged block or snapshot is not asked again for this long.
    public var distrustMs: Int64 = 60_000
    public var mempool = MempoolConfig()
    public var state = StateConfig()

    public init() {}

    public func validate() throws(PBFTConfigError) {
        guard windowSize >= 1, windowSize <= 64 else { throw .outOfRange("window size", "1-64") }
        guard futureViewWindow >= 1, futureViewWindow <= 1_000, earlyProposalLimit >= 1, preGenesisLimit >= 1 else {
            throw .outOfRange("future-view window and buffers", "window 1-1000, limits at least 1")
        }
        guard maximumBlockTransactions >= 1 else { throw .outOfRange("block transactions", "at least 1") }
        guard maximumBlockBytes >= 64 * 1024 + 1_024 else { throw .outOfRange("block bytes", "room for one 64 KiB event") }
        guard requestTimeoutMs > 0, leaderTimeoutMs > 0, heartbeatIntervalMs > 0, heartbeatIntervalMs < leaderTimeoutMs else {
            throw .outOfRange("heartbeat interval", "positive and below the leader timeout")
        }
        guard viewChangeTimeoutBaseMs > 0, viewChangeTimeoutCapMs >= viewChangeTimeoutBaseMs else {
            throw .outOfRange("view-change timeout", "base positive, cap at least the base")
        }
        guard blockTimestampToleranceMs > 0, blocksPerResponse >= 1, blockRequestIntervalMs > 0, requestsPerPeerPerInterval >= 1,
              maximumSnapshotChunks >= 1, maximumSnapshotBytes >= 1 else {
            throw .outOfRange("catch-up settings", "positive")
        }
        guard checkpointInterval >= 1, retainedBlocks >= 1, snapshotChunkEntries >= 1, distrustMs >= 0 else {
            throw .outOfRange("checkpoint settings", "positive")
        }
        guard state.nonceTTLMs > 0 else { throw .outOfRange("nonce TTL", "positive") }
        try mempool.validate()
    }
}

/// A PBFT setting that cannot work.
public enum PBFTConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    case outOfRange(String, String)
    public var description: String {
        switch self {
        case let .outOfRange(name, expected): return "\(name) must be \(expected)"
        }
    }
}
