import ConsensusCore

/// Transactions in simulation: the payload names the seed and a counter, the
/// id is its hash, and only payloads of that shape are valid, so a made-up
/// transaction from a Byzantine replica is refused by honest ones.
public struct SimulatedTransactions: TransactionValidator {
    public init() {}

    public func isValid(_ transaction: Transaction) -> Bool {
        transaction.payload.starts(with: Array("tx:".utf8)) && SimulatedCrypto().hash(transaction.payload) == transaction.id
    }

    public static func make(seed: UInt64, number: Int) -> Transaction {
        let payload = Array("tx:\(seed):\(number)".utf8)
        return Transaction(id: SimulatedCrypto().hash(payload), payload: payload)
    }
}
