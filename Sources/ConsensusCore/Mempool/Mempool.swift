/// Valid transactions waiting to be ordered, bounded in count and bytes.
///
/// Why each rule: ingestors submit every event to every validator (so an
/// honest one holds every event a Byzantine leader might censor), which means
/// duplicates are normal and must be cheap; a flood from one producer must
/// not starve the others (token bucket per producer, round-robin batching);
/// and when the pool is full the answer says so explicitly, so the ingestor
/// pauses its Kafka partitions instead of losing anything.
///
/// Pure and deterministic like the rest of the core: time is the replica's
/// injected clock.
public struct Mempool: Sendable {
    struct Entry: Sendable {
        let transaction: Transaction
        let event: LedgerEvent
        let arrivalMs: Int64
    }

    /// One producer's entries in arrival order; removed ids are skipped lazily.
    struct ProducerQueue: Sendable {
        var ids: [Hash32] = []
        var head = 0
    }

    public let config: MempoolConfig
    private var entries: [Hash32: Entry] = [:]
    private var byNonce: [NonceKey: Hash32] = [:]
    private var queues: [String: ProducerQueue] = [:]
    /// Producers with entries, in the order the next batch serves them.
    private var rotation: [String] = []
    private var buckets: [String: TokenBucket] = [:]
    private var expiry = ExpiryQueue<Hash32>()
    public private(set) var bytes = 0
    public private(set) var statistics = MempoolStatistics()

    public init(config: MempoolConfig = MempoolConfig()) {
        self.config = config
    }

    public var count: Int { entries.count }
    public func contains(_ id: Hash32) -> Bool { entries[id] != nil }
    /// The admitted (verified) transaction with this id, exactly as admitted.
    public func transaction(_ id: Hash32) -> Transaction? { entries[id]?.transaction }

    /// The pending transaction that took `key`, if any.
    public func holder(of key: NonceKey) -> Hash32? { byNonce[key] }

    /// Bookkeeping sizes, for the bounded-memory figures.
    public var bookkeeping: (entries: Int, nonces: Int, producers: Int, buckets: Int, expiryQueue: Int) {
        (entries.count, byNonce.count, queues.count, buckets.count, expiry.count)
    }

    /// The cheap checks before a transaction is verified: nil if it may be
    /// admitted once valid. Does not change anything.
    public func precheck(_ transaction: Transaction, event: LedgerEvent, nowMs: Int64) -> Admission? {
        if entries[transaction.id] != nil { return .duplicate }
        if byNonce[event.nonceKey] != nil { return .rejected("duplicate_nonce: another pending event from \(event.producerID) carries this nonce") }
        if entries.count >= config.maximumCount || bytes + transaction.payload.count > config.maximumBytes { return .full }
        let bucket = buckets[event.producerID] ?? TokenBucket(config: config, nowMs: nowMs)
        if !bucket.hasToken(config: config, nowMs: nowMs) { return .rateLimited }
        return nil
    }

    /// Admits a verified transaction (the caller ran `precheck` and the
    /// validator). Returns `.admitted` or why not.
    @discardableResult
    public mutating func admit(_ transaction: Transaction, event: LedgerEvent, nowMs: Int64) -> Admission {
        if let refusal = precheck(transaction, event: event, nowMs: nowMs) {
            statistics.count(refusal)
            return refusal
        }
        var bucket = buckets[event.producerID] ?? TokenBucket(config: config, nowMs: nowMs)
        bucket.take(config: config, nowMs: nowMs)
        buckets[event.producerID] = bucket
        entries[transaction.id] = Entry(transaction: transaction, event: event, arrivalMs: nowMs)
        byNonce[event.nonceKey] = transaction.id
        if queues[event.producerID] == nil { rotation.append(event.producerID) }
        queues[event.producerID, default: ProducerQueue()].ids.append(transaction.id)
        expiry.insert(transaction.id, deadline: nowMs + config.maximumAgeMs)
        bytes += transaction.payload.count
        statistics.count(.admitted)
        return .admitted
    }

    /// Counts a refusal decided outside the pool (committed, invalid).
    public mutating func countRefusal(_ admission: Admission) { statistics.count(admission) }

    /// Forgets a transaction (committed, or expired).
    public mutating func remove(_ id: Hash32) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        byNonce[entry.event.nonceKey] = nil
        bytes -= entry.transaction.payload.count
        let producer = entry.event.producerID
        guard var queue = queues[producer] else { return }
        while queue.head < queue.ids.count, entries[queue.ids[queue.head]] == nil { queue.head += 1 }
        if queue.head == queue.ids.count {
            queues[producer] = nil
            rotation.removeAll { $0 == producer }
            return
        }
        if queue.head > 64, queue.head * 2 > queue.ids.count {
            queue.ids.removeFirst(queue.head)
            queue.head = 0
        }
        queues[producer] = queue
    }

    /// Drops every entry `condition` selects (committed elsewhere, expired
    /// against block time); returns how many.
    @discardableResult
    public mutating func removeAll(where condition: (Hash32, LedgerEvent) -> Bool) -> Int {
        let doomed = entries.filter { condition($0.key, $0.value.event) }.keys
        for id in doomed { remove(id) }
        return doomed.count
    }

    /// Drops entries held longer than the maximum age (the ingestor still
    /// has them and resubmits), and token buckets that have refilled.
    /// Returns how many entries expired.
    @discardableResult
    public mutating func expire(nowMs: Int64) -> Int {
        var expired = 0
        while let (deadline, id) = expiry.popExpired(before: nowMs) {
            guard let entry = entries[id], entry.arrivalMs + config.maximumAgeMs == deadline else { continue }
            remove(id)
            expired += 1
        }
        statistics.expired += expired
        // Committed entries leave their deadline behind; past a point,
        // rebuild the queue from the live entries so it stays bounded.
        if expiry.count > 2 * entries.count + 1_024 {
            expiry.rebuild(entries.map { (key: $0.key, deadline: $0.value.arrivalMs + config.maximumAgeMs) })
        }
        // A full bucket is the same as no bucket: forget it.
        buckets = buckets.filter { !$0.value.isFull(config: config, nowMs: nowMs) }
        return expired
    }

    /// Up to `limit` transactions for a block, one producer at a time in
    /// turn (oldest first within a producer), skipping those `include`
    /// refuses. The turn order moves on, so the next block starts with the
    /// next producer.
    ///
    /// `maximumBytes` bounds the transactions' bytes: a producer whose next
    /// transaction would not fit is served no more in this block.
    public mutating func batch(_ limit: Int, maximumBytes: Int = .max, where include: (Hash32, LedgerEvent) -> Bool) -> [Transaction] {
        guard !rotation.isEmpty, limit > 0 else { return [] }
        var out: [Transaction] = []
        var bytes = 0
        var cursors = rotation.map { queues[$0]?.head ?? 0 }
        var live = Array(rotation.indices)
        while out.count < limit, !live.isEmpty {
            var stillLive: [Int] = []
            for slot in live where out.count < limit {
                guard let queue = queues[rotation[slot]] else { continue }
                var index = cursors[slot]
                while index < queue.ids.count {
                    let id = queue.ids[index]
                    index += 1
                    if let entry = entries[id], include(id, entry.event) {
                        guard bytes + entry.transaction.payload.count <= maximumBytes else { break }
                        bytes += entry.transaction.payload.count
                        out.append(entry.transaction)
                        stillLive.append(slot)
                        break
                    }
                }
                cursors[slot] = index
            }
            live = stillLive
        }
        // Next block: start after the producer served first this time.
        rotation.append(rotation.removeFirst())
        return out
    }

    /// The earliest arrival among pending transactions (the request timer).
    public var oldestArrivalMs: Int64? {
        var oldest: Int64?
        for queue in queues.values {
            var index = queue.head
            while index < queue.ids.count {
                if let entry = entries[queue.ids[index]] {
                    oldest = min(oldest ?? entry.arrivalMs, entry.arrivalMs)
                    break
                }
                index += 1
            }
        }
        return oldest
    }
}

/// Limits of the mempool.
public struct MempoolConfig: Sendable, Equatable {
    public var maximumCount = 10_000
    public var maximumBytes = 64 << 20
    /// Sustained admissions per producer per second, and the burst above it.
    public var producerRatePerSecond = 2_000
    public var producerBurst = 4_000
    /// An entry not committed within this time is dropped (its ingestor resubmits).
    public var maximumAgeMs: Int64 = 10 * 60 * 1_000

    public init() {}

    public func validate() throws(PBFTConfigError) {
        guard maximumCount >= 1, maximumBytes >= PayloadSchema.maximumPayloadBytes else {
            throw .outOfRange("mempool limits", "at least 1 transaction and \(PayloadSchema.maximumPayloadBytes) bytes")
        }
        guard producerRatePerSecond >= 1, producerBurst >= 1, maximumAgeMs > 0 else {
            throw .outOfRange("mempool rate limit and age", "positive")
        }
    }
}

/// The answer to one submission, which the ingestor turns into "done",
/// "retry later" (backpressure) or "dead-letter".
public enum Admission: Hashable, Sendable {
    case admitted
    /// Already pending here.
    case duplicate
    /// Already in a committed block.
    case alreadyCommitted
    /// Count or byte limit reached: back off and resubmit.
    case full
    /// This producer's share is used up for now: back off and resubmit.
    case rateLimited
    /// Invalid: a code, a colon, a detail.
    case rejected(String)

    /// The snake_case name used in metrics and answers.
    public var code: String {
        switch self {
        case .admitted: return "admitted"
        case .duplicate: return "duplicate"
        case .alreadyCommitted: return "already_committed"
        case .full: return "full"
        case .rateLimited: return "rate_limited"
        case .rejected: return "rejected"
        }
    }
}

/// Admission counters since start.
public struct MempoolStatistics: Equatable, Sendable {
    public var admitted = 0
    public var duplicates = 0
    public var alreadyCommitted = 0
    public var full = 0
    public var rateLimited = 0
    public var rejected = 0
    public var expired = 0

    public init() {}

    mutating func count(_ admission: Admission) {
        switch admission {
        case .admitted: admitted += 1
        case .duplicate: duplicates += 1
        case .alreadyCommitted: alreadyCommitted += 1
        case .full: full += 1
        case .rateLimited: rateLimited += 1
        case .rejected: rejected += 1
        }
    }
}

/// A producer's admission allowance, in thousandths of a transaction so the
/// arithmetic stays in integers (deterministic everywhere).
struct TokenBucket: Sendable {
    private var milliTokens: Int64
    private var updatedMs: Int64

    init(config: MempoolConfig, nowMs: Int64) {
        milliTokens = Int64(config.producerBurst) * 1_000
        updatedMs = nowMs
    }

    private func available(config: MempoolConfig, nowMs: Int64) -> Int64 {
        let elapsed = max(0, nowMs - updatedMs)
        let refill = elapsed.multipliedReportingOverflow(by: Int64(config.producerRatePerSecond))
        let capacity = Int64(config.producerBurst) * 1_000
        return refill.overflow ? capacity : min(capacity, milliTokens + refill.partialValue)
    }

    func hasToken(config: MempoolConfig, nowMs: Int64) -> Bool { available(config: config, nowMs: nowMs) >= 1_000 }

    func isFull(config: MempoolConfig, nowMs: Int64) -> Bool {
        available(config: config, nowMs: nowMs) >= Int64(config.producerBurst) * 1_000
    }

    mutating func take(config: MempoolConfig, nowMs: Int64) {
        milliTokens = available(config: config, nowMs: nowMs) - 1_000
        updatedMs = max(updatedMs, nowMs)
    }
}
