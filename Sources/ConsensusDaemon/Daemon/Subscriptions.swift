import ConsensusCore
import Wire

/// Events an ingestor submitted, already decoded and (unless its ingestor
/// is trusted) verified on the link's own thread, waiting for the core's
/// admission answers.
struct SubmissionBatch: Sendable {
    enum Item: Sendable {
        /// Ready for the mempool.
        case ready(Transaction)
        /// Refused before reaching the core (undecodable or invalid).
        case answered(EventAdmission)
    }

    let batchID: UInt64
    let items: [Item]
    let reply: @Sendable (SubmitResult) -> Void
}

/// A client following the chain from a height: an ingestor (commit
/// notices) or a persister (executed blocks). The driver sends it the
/// backlog from the block store a bounded number of blocks per turn, then
/// every new block; when its link's queue is full it waits and resumes.
struct Subscription: Sendable {
    enum Kind: String, Sendable {
        case commits
        case blocks
    }

    let id: ObjectIdentifier
    let kind: Kind
    let peer: String
    /// The next height to send; 0 until the driver resolves "from now".
    var nextHeight: UInt64
    /// Sends one message; false when the link's queue is full or closed.
    let send: @Sendable (WireMessage) -> Bool

    static func message(for block: ExecutedBlock, kind: Kind) -> WireMessage {
        switch kind {
        case .commits:
            return .service(.commitNotices(CommitNotices(
                height: block.height, blockHash: block.committed.blockHash, blockTimeMs: block.committed.block.timestampMs,
                transactionIDs: block.committed.block.transactions.map(\.id))))
        case .blocks:
            return .service(.blockStream([block]))
        }
    }
}
