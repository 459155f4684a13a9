/// The deterministic state machine (ARCHITECTURE §6): applies committed
/// anomaly, evidence and policy events and keeps what the API serves (counts
/// by domain, severity and producer; anomalies; evidence per anomaly; the
/// policy version in force), plus the (producer, nonce) records that stop a
/// replay. It reads no clock: block time (the leader's timestamp, checked by
/// every voter) is the only time it knows.
///
/// Every entry is also a leaf of a `StateTree`, so `root` is a commitment to
/// the whole state that every honest replica computes identically at every
/// height, and a snapshot (`entries`) rebuilds the same root elsewhere.
public struct LedgerState: Sendable {
    public let config: StateConfig
    public private(set) var height: UInt64 = 0
    public private(set) var anomalies: [String: AnomalyRecord] = [:]
    /// Anomaly id -> evidence id -> evidence.
    public private(set) var evidence: [String: [String: EvidenceRecord]] = [:]
    public private(set) var policies: [String: PolicyRecord] = [:]
    public private(set) var domainCounts: [EventDomain: UInt64] = [:]
    public private(set) var severityCounts: [Int: UInt64] = [:]
    public private(set) var producerCounts: [String: UInt64] = [:]
    public private(set) var nonces: [NonceKey: NonceRecord] = [:]
    /// The last `resultsHistory` blocks' results records, by slot.
    private(set) var recentResults: [UInt8: ResultsRecord] = [:]
    private var nonceExpiry = ExpiryQueue<NonceKey>()
    private var tree = StateTree()
    private let crypto: any ConsensusCrypto

    public init(config: StateConfig = StateConfig(), crypto: any ConsensusCrypto) {
        self.config = config
        self.crypto = crypto
    }

    /// The Merkle root over every entry.
    public mutating func root() -> Hash32 { tree.root(crypto: crypto) }

    /// Entries in the state (the Merkle tree's leaves).
    public var entryCount: Int { tree.count }
    /// Merkle hashes computed so far (the benchmark's cost figure).
    public var merkleHashes: Int { tree.hashesComputed }

    /// Whether `transaction` (by its event's producer and nonce) is committed
    /// and cannot be committed again: `.applied` means this very transaction,
    /// a rejection means another one took the nonce.
    public func committedRecord(for event: LedgerEvent) -> NonceRecord? { nonces[event.nonceKey] }

    // MARK: - Applying blocks

    /// Applies `block` (the next height) and returns each transaction's
    /// outcome and the new root.
    public mutating func apply(_ block: Block, events: any TransactionValidator) -> BlockExecution {
        let rootBefore = root()
        height = block.height
        expireNonces(blockTimeMs: block.timestampMs)
        var outcomes: [TransactionOutcome] = []
        outcomes.reserveCapacity(block.transactions.count)
        for transaction in block.transactions {
            outcomes.append(apply(transaction, events: events, blockTimeMs: block.timestampMs))
        }
        let record = ResultsRecord(height: block.height, rootBefore: rootBefore, outcomesHash: ExecutionResults.outcomesHash(outcomes, crypto: crypto))
        let slot = UInt8(block.height % Self.resultsHistory)
        recentResults[slot] = record
        write(.blockResults(slot: slot), StateValue.encode(record))
        return BlockExecution(height: block.height, stateRoot: root(), outcomes: outcomes)
    }

    /// Blocks whose results the state keeps: at least the largest pipeline
    /// window (`PBFTConfig.windowSize` is at most this).
    public static let resultsHistory: UInt64 = 64

    /// The results of height `resultsHeight` as this replica executed them,
    /// given the root at the current height; nil when it is above the
    /// current height or older than the history kept.
    public func results(at resultsHeight: UInt64, currentRoot: Hash32) -> ExecutionResults? {
        guard resultsHeight <= height, height - resultsHeight < Self.resultsHistory else { return nil }
        let outcomes: Hash32
        if resultsHeight == 0 {
            outcomes = ExecutionResults.outcomesHash([], crypto: crypto)
        } else {
            guard let record = recentResults[UInt8(resultsHeight % Self.resultsHistory)], record.height == resultsHeight else { return nil }
            outcomes = record.outcomesHash
        }
        if resultsHeight == height { return ExecutionResults(height: resultsHeight, stateRoot: currentRoot, outcomesHash: outcomes) }
        guard let next = recentResults[UInt8((resultsHeight + 1) % Self.resultsHistory)], next.height == resultsHeight + 1 else { return nil }
        return ExecutionResults(height: resultsHeight, stateRoot: next.rootBefore, outcomesHash: outcomes)
    }

    /// Why an event could not be applied at `blockTimeMs` for reasons of time
    /// and replay alone (the checks a voter can make before execution).
    public func admissionProblem(_ event: LedgerEvent, blockTimeMs: Int64) -> StateRejection? {
        if event.timestampMs < blockTimeMs.saturatingSubtracting(config.nonceTTLMs) { return .expired }
        if event.timestampMs > blockTimeMs.saturatingAdding(config.nonceTTLMs) { return .futureTimestamp }
        if nonces[event.nonceKey] != nil { return .duplicateNonce }
        return nil
    }

    private mutating func apply(_ transaction: Transaction, events: any TransactionValidator, blockTimeMs: Int64) -> TransactionOutcome {
        guard let event = events.event(of: transaction) else { return .rejected(.undecodable) }
        if let problem = admissionProblem(event, blockTimeMs: blockTimeMs) { return .rejected(problem) }
        // From here on the nonce is spent, whatever the payload says: the
        // same event can never be committed twice.
        let record = NonceRecord(txID: transaction.id, expiresAtMs: max(blockTimeMs, event.timestampMs).saturatingAdding(config.nonceTTLMs))
        nonces[event.nonceKey] = record
        nonceExpiry.insert(event.nonceKey, deadline: record.expiresAtMs)
        write(.nonce(event.nonceKey), StateValue.encode(record))

        let payload: ValidatedPayload
        do {
            payload = try PayloadSchema.validate(event.payload, domain: event.domain)
        } catch {
            return .rejected(.badPayload(error.description))
        }
        switch event.domain {
        case .anomaly:
            guard anomalies[payload.id] == nil else { return .rejected(.anomalyExists) }
            let severity = Int(payload.integerField("severity"))
            let anomaly = AnomalyRecord(
                txID: transaction.id, producerID: event.producerID, type: payload.stringField("type"), severity: severity, height: height)
            anomalies[payload.id] = anomaly
            write(.anomaly(id: payload.id), StateValue.encode(anomaly))
            severityCounts[severity, default: 0] += 1
            write(.severityCount(severity), StateValue.encode(count: severityCounts[severity]!))
        case .evidence:
            let anomalyID = payload.stringField("anomaly_id")
            guard evidence[anomalyID]?[payload.id] == nil else { return .rejected(.evidenceExists) }
            let item = EvidenceRecord(txID: transaction.id, producerID: event.producerID, kind: payload.stringField("kind"), height: height)
            evidence[anomalyID, default: [:]][payload.id] = item
            write(.evidence(anomalyID: anomalyID, id: payload.id), StateValue.encode(item))
        case .policy:
            let version = payload.integerField("version")
            if let current = policies[payload.id], version <= current.version {
                return .rejected(.policyVersionNotNewer(current: current.version))
            }
            let policy = PolicyRecord(txID: transaction.id, version: version, action: payload.stringField("action"), height: height)
            policies[payload.id] = policy
            write(.policy(id: payload.id), StateValue.encode(policy))
        }
        domainCounts[event.domain, default: 0] += 1
        write(.domainCount(event.domain), StateValue.encode(count: domainCounts[event.domain]!))
        producerCounts[event.producerID, default: 0] += 1
        write(.producerCount(event.producerID), StateValue.encode(count: producerCounts[event.producerID]!))
        return .applied
    }

    /// Drops nonce records whose events can no longer be replayed.
    private mutating func expireNonces(blockTimeMs: Int64) {
        while let (deadline, key) = nonceExpiry.popExpired(before: blockTimeMs) {
            guard let record = nonces[key], record.expiresAtMs == deadline else { continue }
            nonces[key] = nil
            tree.remove(keyHash: crypto.hash(StateKey.nonce(key).bytes))
        }
    }

    private mutating func write(_ key: StateKey, _ value: [UInt8]) {
        tree.set(keyHash: crypto.hash(key.bytes), valueHash: crypto.hash(value), crypto: crypto)
    }

    // MARK: - Snapshots

    /// Every entry as (key bytes, value bytes), sorted by key: what a
    /// snapshot carries.
    public func entries() -> [StateEntry] {
        var out: [StateEntry] = []
        out.reserveCapacity(tree.count)
        for (id, record) in anomalies { out.append(StateEntry(.anomaly(id: id), StateValue.encode(record))) }
        for (anomalyID, items) in evidence {
            for (id, record) in items { out.append(StateEntry(.evidence(anomalyID: anomalyID, id: id), StateValue.encode(record))) }
        }
        for (id, record) in policies { out.append(StateEntry(.policy(id: id), StateValue.encode(record))) }
        for (domain, count) in domainCounts { out.append(StateEntry(.domainCount(domain), StateValue.encode(count: count))) }
        for (severity, count) in severityCounts { out.append(StateEntry(.severityCount(severity), StateValue.encode(count: count))) }
        for (producer, count) in producerCounts { out.append(StateEntry(.producerCount(producer), StateValue.encode(count: count))) }
        for (key, record) in nonces { out.append(StateEntry(.nonce(key), StateValue.encode(record))) }
        for (slot, record) in recentResults { out.append(StateEntry(.blockResults(slot: slot), StateValue.encode(record))) }
        out.sort { $0.key.lexicographicallyPrecedes($1.key) }
        return out
    }

    /// Rebuilds the state at `height` from snapshot entries. The caller
    /// compares `root()` with a certified root before trusting it.
    public init(height: UInt64, entries: [StateEntry], config: StateConfig = StateConfig(), crypto: any ConsensusCrypto) throws(SnapshotError) {
        self.init(config: config, crypto: crypto)
        self.height = height
        var seen = Set<[UInt8]>()
        for (index, entry) in entries.enumerated() {
            guard seen.insert(entry.key).inserted else { throw SnapshotError(entry: index, problem: "the key appears twice") }
            guard let key = StateKey(bytes: entry.key) else { throw SnapshotError(entry: index, problem: "unknown or malformed key") }
            do throws(CanonicalDecoder.Truncated) {
                try load(key, entry.value)
            } catch {
                throw SnapshotError(entry: index, problem: "malformed value")
            }
            write(key, entry.value)
        }
    }

    private mutating func load(_ key: StateKey, _ value: [UInt8]) throws(CanonicalDecoder.Truncated) {
        switch key {
        case let .anomaly(id): anomalies[id] = try StateValue.anomaly(value)
        case let .evidence(anomalyID, id): evidence[anomalyID, default: [:]][id] = try StateValue.evidence(value)
        case let .policy(id): policies[id] = try StateValue.policy(value)
        case let .domainCount(domain): domainCounts[domain] = try StateValue.count(value)
        case let .severityCount(severity): severityCounts[severity] = try StateValue.count(value)
        case let .producerCount(producer): producerCounts[producer] = try StateValue.count(value)
        case let .nonce(nonceKey):
            let record = try StateValue.nonce(value)
            nonces[nonceKey] = record
            nonceExpiry.insert(nonceKey, deadline: record.expiresAtMs)
        case let .blockResults(slot):
            recentResults[slot] = try StateValue.results(value)
        }
    }
}

/// State-machine settings every validator must share (a difference would
/// fork the state root).
public struct StateConfig: Sendable, Equatable {
    /// How long a (producer, nonce) is remembered, in block time (CONTRACT §1: 15 minutes).
    public var nonceTTLMs: Int64 = 15 * 60 * 1_000

    public init() {}
}

/// One state entry as a snapshot carries it.
public struct StateEntry: Hashable, Sendable {
    public let key: [UInt8]
    public let value: [UInt8]

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }

    init(_ key: StateKey, _ value: [UInt8]) {
        self.init(key: key.bytes, value: value)
    }
}

/// A snapshot entry this version cannot load.
public struct SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    public let entry: Int
    public let problem: String
    public var description: String { "snapshot entry \(entry): \(problem)" }
}
