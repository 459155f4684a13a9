/// A client transaction as consensus sees it: an id (the event's tx id) and
/// the bytes the state machine will apply. Validity is checked by the
/// injected `TransactionValidator` before a replica votes for a block.
public struct Transaction: Hashable, Sendable {
    public let id: Hash32
    public let payload: [UInt8]

    public init(id: Hash32, payload: [UInt8]) {
        self.id = id
        self.payload = payload
    }
}

/// How the core reads and checks transactions it cannot interpret itself:
/// the daemon decodes a protobuf `SignedEvent` and verifies its Ed25519
/// signature against the trust store; the simulator uses its own encoding
/// and signature.
public protocol TransactionValidator: Sendable {
    /// The event a transaction carries, read without any signature check
    /// (cheap; the mempool and the state machine call it). Nil: not an event.
    func event(of transaction: Transaction) -> LedgerEvent?
    /// The full, expensive check (signature, producer, payload): nil when
    /// valid, else a reason (a snake_case code, a colon, a detail). Done once
    /// per transaction per replica: on admission, or before voting for a
    /// block holding a transaction this replica never admitted.
    func validationProblem(_ transaction: Transaction) -> String?
    /// Whether the bytes are the event the id names (the id is the hash of
    /// what they say was signed): one hash, no signature check. Every
    /// transaction of a fetched block passes it before the block executes.
    func identifies(_ transaction: Transaction) -> Bool
}

extension TransactionValidator {
    public func isValid(_ transaction: Transaction) -> Bool { validationProblem(transaction) == nil }
}

/// A batch of transactions at one height. Its hash does not include the view
/// in which it was proposed, so a block prepared in one view can be
/// re-proposed unchanged in the next.
public struct Block: Hashable, Sendable {
    public let height: UInt64
    public let previousHash: Hash32
    /// The validator that first proposed it.
    public let proposer: ValidatorID
    /// The proposer's clock; the only time the state machine ever sees.
    public let timestampMs: Int64
    public let transactions: [Transaction]
    public let transactionRoot: Hash32
    /// The results of height `height - window` (see `ExecutionResults`):
    /// a quorum voting for this block certifies them.
    public let results: ExecutionResults

    public init(
        height: UInt64, previousHash: Hash32, proposer: ValidatorID, timestampMs: Int64, transactions: [Transaction], transactionRoot: Hash32,
        results: ExecutionResults
    ) {
        self.height = height
        self.previousHash = previousHash
        self.proposer = proposer
        self.timestampMs = timestampMs
        self.transactions = transactions
        self.transactionRoot = transactionRoot
        self.results = results
    }

    public static func make(
        height: UInt64, previousHash: Hash32, proposer: ValidatorID, timestampMs: Int64,
        transactions: [Transaction], results: ExecutionResults, crypto: any ConsensusCrypto
    ) -> Block {
        Block(
            height: height, previousHash: previousHash, proposer: proposer, timestampMs: timestampMs,
            transactions: transactions, transactionRoot: MerkleTree.transactionRoot(of: transactions, crypto: crypto), results: results)
    }

    /// The transactions' bytes (what the block byte budget counts).
    public var payloadBytes: Int { transactions.reduce(0) { $0 + $1.payload.count } }

    /// Everything the hash covers, without the transactions.
    public var header: BlockHeader {
        BlockHeader(
            height: height, previousHash: previousHash, proposer: proposer, timestampMs: timestampMs,
            transactionRoot: transactionRoot, transactionCount: UInt32(clamping: transactions.count), results: results)
    }

    public func hash(_ crypto: any ConsensusCrypto) -> Hash32 { header.hash(crypto) }

    /// The hash that anchors height 1: derived from the genesis parameters,
    /// so every replica has the same one whichever certificate it holds.
    public static func genesisHash(_ parameters: GenesisParameters, crypto: any ConsensusCrypto) -> Hash32 {
        var encoder = CanonicalEncoder(domain: "cybermesh.block.genesis.v1")
        parameters.encode(into: &encoder)
        return crypto.hash(encoder.bytes)
    }
}

/// A block without its transactions: what view changes and NewViews carry,
/// so that they stay small whatever the blocks weigh (a view change with a
/// window of full blocks would exceed the frame limit). The hash is the
/// block's: the transaction root and count stand for the transactions,
/// which a replica that lacks them fetches by hash.
public struct BlockHeader: Hashable, Sendable {
    public let height: UInt64
    public let previousHash: Hash32
    public let proposer: ValidatorID
    public let timestampMs: Int64
    public let transactionRoot: Hash32
    public let transactionCount: UInt32
    public let results: ExecutionResults

    public init(
        height: UInt64, previousHash: Hash32, proposer: ValidatorID, timestampMs: Int64, transactionRoot: Hash32, transactionCount: UInt32,
        results: ExecutionResults
    ) {
        self.height = height
        self.previousHash = previousHash
        self.proposer = proposer
        self.timestampMs = timestampMs
        self.transactionRoot = transactionRoot
        self.transactionCount = transactionCount
        self.results = results
    }

    public func hash(_ crypto: any ConsensusCrypto) -> Hash32 {
        var encoder = CanonicalEncoder(domain: "cybermesh.block.v2")
        encoder.append(height)
        encoder.append(previousHash)
        encoder.append(proposer.value)
        encoder.append(timestampMs)
        encoder.append(transactionRoot)
        encoder.append(transactionCount)
        encoder.append(results.height)
        encoder.append(results.stateRoot)
        encoder.append(results.outcomesHash)
        return crypto.hash(encoder.bytes)
    }

    /// Whether `block` is the one this header stands for (its header equal,
    /// its transactions hashing to the root).
    public func isHeader(of block: Block, crypto: any ConsensusCrypto) -> Bool {
        block.header == self && MerkleTree.transactionRoot(of: block.transactions, crypto: crypto) == transactionRoot
    }
}

/// Binary Merkle tree over a block's transactions, with domain-separated
/// leaf and node hashes so a node can never pass for a leaf. An odd node is
/// promoted unchanged.
///
/// A leaf is H(0x00 || id || H(exact bytes)): it binds the transaction's
/// bytes, not only its id. The id commits to the signed event, not to the
/// record that carries it (signature included), so a root over ids alone
/// let a leader propose a known id with other bytes, or two payloads under
/// one certified block hash. A persister or gateway recomputes this root to
/// prove the bytes it serves are the ones a quorum committed.
public enum MerkleTree {
    public static func transactionRoot(of transactions: [Transaction], crypto: any ConsensusCrypto) -> Hash32 {
        root(ofLeaves: transactions.map { leaf(of: $0, crypto: crypto) }, crypto: crypto)
    }

    /// H(0x00 || id || H(bytes)).
    public static func leaf(of transaction: Transaction, crypto: any ConsensusCrypto) -> Hash32 {
        crypto.hash(Hash32.merkleInput(tag: 0x00, transaction.id, crypto.hash(transaction.payload)))
    }

    /// The root over leaves already hashed (tag 0x00); nodes are H(0x01 || left || right).
    public static func root(ofLeaves leaves: [Hash32], crypto: any ConsensusCrypto) -> Hash32 {
        guard !leaves.isEmpty else { return crypto.hash(Array("cybermesh.merkle.empty".utf8)) }
        var level = leaves
        while level.count > 1 {
            var next: [Hash32] = []
            next.reserveCapacity((level.count + 1) / 2)
            var index = 0
            while index < level.count {
                if index + 1 < level.count {
                    next.append(crypto.hash(Hash32.merkleInput(tag: 0x01, level[index], level[index + 1])))
                } else {
                    next.append(level[index])
                }
                index += 2
            }
            level = next
        }
        return level[0]
    }
}
