import ConsensusCore
import Events
import Logging
import Metrics
import Wire

extension CommittedTransactionIndex {
    /// How far past a window's end a block may still carry its events in
    /// the normal course: the event timestamp window (5 minutes) plus a
    /// window of slack.
    static let defaultSealMarginMs: Int64 = 5 * 60_000 + windowMs

    /// Opens `DATA_DIR/txindex` and re-adds the stored blocks above its
    /// durable height (a crash, or a first start with an existing chain).
    static func open(settings: DaemonSettings, storage: ValidatorStorage, logger: Logger) throws -> CommittedTransactionIndex {
        let index = try CommittedTransactionIndex(
            directory: settings.dataDirectory + "/txindex", retentionMs: settings.transactionIndexRetentionMs,
            sealMarginMs: defaultSealMarginMs, logger: logger)
        let first = max(index.indexedHeight + 1, storage.bottomHeight)
        guard storage.topHeight >= first, first > 0 else { return index }
        for height in first...storage.topHeight {
            guard let block = try storage.block(at: height) else { continue }
            try index.add(height: height, blockTimeMs: block.committed.block.timestampMs, entries: entries(of: block), durableEvery: 4_096)
        }
        logger.info("committed transaction index caught up", metadata: ["from": "\(first)", "to": "\(storage.topHeight)"])
        return index
    }

    /// Each transaction's id with its event's timestamp; a transaction that
    /// does not decode (a Byzantine leader's) is filed under the block's time.
    static func entries(of block: ExecutedBlock) -> [(id: Hash32, timestampMs: Int64)] {
        block.committed.block.transactions.map { transaction in
            let timestamp = (try? SignedEvent.decode(transaction.payload))?.timestampMs ?? block.committed.block.timestampMs
            return (transaction.id, timestamp)
        }
    }
}

extension DriverState {
    /// Files a committed block's ids in the on-disk index. A failure costs
    /// only answers past the nonce TTL (it is logged and counted, and the
    /// blocks are re-added on the next start), so consensus goes on.
    mutating func indexTransactions(_ block: ExecutedBlock) {
        do {
            try index.add(height: block.height, blockTimeMs: block.committed.block.timestampMs, entries: CommittedTransactionIndex.entries(of: block))
        } catch {
            Counter(label: "cybermesh_txindex_failures_total").increment()
            logger.error("committed transaction index append failed; it is rebuilt from the block store on restart", metadata: [
                "height": "\(block.height)", "error": "\(error)",
            ])
        }
    }
}
