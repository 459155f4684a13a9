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

    public init(height: UInt64, previousHash: Hash32, proposer: ValidatorID, timestampMs: Int64, transactions: [Transaction], transactionRoot: Hash32) {
        self.height = height
        self.previousHash = previousHash
        self.proposer = proposer
        self.timestampMs = timestampMs
        self.transactions = transactions
        self.transactionRoot = transactionRoot
    }

    public static func make(
        height: UInt64, previousHash: Hash32, proposer: ValidatorID, timestampMs: Int64,
        transactions: [Transaction], crypto: any ConsensusCrypto
    ) -> Block {
        Block(
            height: height, previousHash: previousHash, proposer: proposer, timestampMs: timestampMs,
            transactions: transactions, transactionRoot: MerkleTree.root(of: transactions.map(\.id), crypto: crypto))
    }

    public func hash(_ crypto: any ConsensusCrypto) -> Hash32 {
        var encoder = CanonicalEncoder(domain: "cybermesh.block.v1")
        encoder.append(height)
        encoder.append(previousHash)
        encoder.append(proposer.value)
        encoder.append(timestampMs)
        encoder.append(transactionRoot)
        encoder.append(UInt32(transactions.count))
        return crypto.hash(encoder.bytes)
    }

    /// The hash that anchors height 1: derived from the genesis parameters,
    /// so every replica has the same one whichever certificate it holds.
    public static func genesisHash(_ parameters: GenesisParameters, crypto: any ConsensusCrypto) -> Hash32 {
        var encoder = CanonicalEncoder(domain: "cybermesh.block.genesis.v1")
        parameters.encode(into: &encoder)
        return crypto.hash(encoder.bytes)
    }
}

/// Binary Merkle tree over 32-byte leaves (transaction ids), with domain-
/// separated leaf and node hashes so a node can never pass for a leaf. An odd
/// node is promoted unchanged.
public enum MerkleTree {
    public static func root(of leaves: [Hash32], crypto: any ConsensusCrypto) -> Hash32 {
        guard !leaves.isEmpty else { return crypto.hash(Array("cybermesh.merkle.empty".utf8)) }
        var level = leaves.map { leaf -> Hash32 in crypto.hash(Hash32.merkleInput(tag: 0x00, leaf)) }
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
