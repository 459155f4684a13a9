/// Transactions submitted to this replica and not yet committed, in arrival
/// order. ConsensusCore II replaces it with the full mempool (limits, rate
/// limits, fairness); consensus needs only this interface.
struct PendingTransactions: Sendable {
    private(set) var order: [Hash32] = []
    private(set) var entries: [Hash32: (transaction: Transaction, arrivalMs: Int64)] = [:]
    private var head = 0

    var count: Int { entries.count }

    func contains(_ id: Hash32) -> Bool { entries[id] != nil }

    mutating func add(_ transaction: Transaction, nowMs: Int64) {
        guard entries[transaction.id] == nil else { return }
        entries[transaction.id] = (transaction, nowMs)
        order.append(transaction.id)
    }

    mutating func remove(_ id: Hash32) {
        entries[id] = nil
        while head < order.count, entries[order[head]] == nil { head += 1 }
        if head > 1_024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    /// Up to `limit` transactions, oldest first, of those `include` accepts.
    func oldest(_ limit: Int, where include: (Hash32) -> Bool) -> [Transaction] {
        var out: [Transaction] = []
        var index = head
        while index < order.count, out.count < limit {
            if let entry = entries[order[index]], include(order[index]) { out.append(entry.transaction) }
            index += 1
        }
        return out
    }

    /// The earliest arrival among pending transactions.
    var oldestArrivalMs: Int64? {
        var index = head
        while index < order.count {
            if let entry = entries[order[index]] { return entry.arrivalMs }
            index += 1
        }
        return nil
    }
}
