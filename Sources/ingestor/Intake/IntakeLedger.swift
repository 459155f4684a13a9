import ConsensusCore
import Events
import Kafka

/// The ingestor's bookkeeping between Kafka and the validators, as a pure
/// value (no clock, thread or socket: the owner passes the time in), so
/// that the rules that decide when an offset may advance are tested
/// directly (ARCHITECTURE §7):
///
/// - a record is settled when its event is committed (f+1 validators), its
///   dead-letter write is acknowledged, or it is a known replay;
/// - a partition's offset is committed only up to its first unsettled
///   record;
/// - events not committed within the resubmit interval are sent again;
///   f+1 `full`/`rate_limited` answers pause the partition and back off;
/// - memory is bounded: at `maximumOpenRecords` records or
///   `maximumOpenBytes` bytes (plus the one record that crossed it) every
///   partition pauses until the backlog falls below 80 % of it.
struct IntakeLedger {
    struct Configuration {
        var validators: [ValidatorID]
        var resubmitIntervalMs: Int64 = 10_000
        var backOffBaseMs: Int64 = 250
        var backOffCapMs: Int64 = 8_000
        var maximumOpenRecords = 20_000
        var maximumOpenBytes = 64 * 1024 * 1024

        /// f+1 for n = 3f+1 validators (any n: f = (n-1)/3).
        var quorum: Int { (validators.count - 1) / 3 + 1 }
    }

    /// Where a record sits in Kafka.
    struct Location: Hashable {
        let partition: TopicPartition
        let offset: Int64
    }

    /// A dead-letter write to make (CONTRACT §2).
    struct DeadLetter: Equatable {
        let location: Location
        let value: [UInt8]
        let reason: RejectionReason
        let detail: String
    }

    /// The local verdict on a read record.
    enum LocalVerdict {
        case valid(Hash32)
        /// Valid except for the timestamp window: the validators decide,
        /// since it may have been committed while it was fresh (f+1 of them
        /// answer `already_committed`, or f+1 refuse it as stale).
        case stale(Hash32)
        case invalid(RejectionReason, detail: String)
    }

    /// What the owner must do after an update.
    struct Work: Equatable {
        var submit: [(id: Hash32, value: [UInt8])] = []
        var deadLetters: [DeadLetter] = []

        static func == (lhs: Work, rhs: Work) -> Bool {
            lhs.deadLetters == rhs.deadLetters && lhs.submit.map(\.id) == rhs.submit.map(\.id)
        }
    }

    /// Counters the ingestor exports.
    struct Figures: Equatable {
        var committed = 0
        var replays = 0
        var deadLettered: [RejectionReason: Int] = [:]
        var resubmitted = 0
        var backOffs = 0
    }

    private struct PendingEvent {
        var value: [UInt8]
        var locations: [Location]
        var tally = VerdictTally()
        var nextSubmitMs: Int64
        var backOffMs: Int64 = 0
    }

    let configuration: Configuration
    private(set) var figures = Figures()
    private var partitions: [TopicPartition: PartitionTrack] = [:]
    private var pausedUntil: [TopicPartition: Int64] = [:]
    private var events: [Hash32: PendingEvent] = [:]
    /// Resubmission times, bucketed by 100 ms (entries may be stale: only
    /// the one in the bucket of the event's own `nextSubmitMs` counts).
    private var schedule: [Int64: [Hash32]] = [:]
    private var values: [Location: [UInt8]] = [:]
    private(set) var openBytes = 0
    private var memoryPaused = false
    /// Partitions to re-read from an offset (records refused at the bound).
    private(set) var rewinds: [TopicPartition: Int64] = [:]

    init(configuration: Configuration) {
        precondition(!configuration.validators.isEmpty, "at least one validator")
        self.configuration = configuration
    }

    var openRecords: Int { partitions.values.reduce(0) { $0 + $1.openCount } }
    var pendingEvents: Int { events.count }
    var assigned: [TopicPartition] { partitions.keys.sorted() }

    // MARK: Partitions

    mutating func assign(_ assigned: [TopicPartition]) {
        for partition in assigned where partitions[partition] == nil { partitions[partition] = PartitionTrack() }
    }

    /// Forgets revoked partitions, returning the offsets safe to commit for
    /// them (committed by the owner before the group moves them). Their
    /// open events are dropped: the next owner re-reads them.
    mutating func revoke(_ revoked: [TopicPartition]) -> [TopicPartition: Int64] {
        var commits: [TopicPartition: Int64] = [:]
        let gone = Set(revoked)
        for partition in revoked {
            if var track = partitions.removeValue(forKey: partition), let offset = track.offsetToCommit() { commits[partition] = offset }
            pausedUntil[partition] = nil
            rewinds[partition] = nil
        }
        for (location, value) in values where gone.contains(location.partition) {
            values[location] = nil
            openBytes -= value.count
        }
        for (id, var event) in events {
            event.locations.removeAll { gone.contains($0.partition) }
            events[id] = event.locations.isEmpty ? nil : event
        }
        return commits
    }

    /// The owner has moved the partition's read position back to its
    /// rewind offset (before resuming it): its records are taken again.
    mutating func rewound(_ partition: TopicPartition) {
        rewinds[partition] = nil
    }

    /// Records that a commit succeeded.
    mutating func committed(_ offsets: [TopicPartition: Int64]) {
        for (partition, offset) in offsets { partitions[partition]?.committedOffset = offset }
    }

    // MARK: Records

    /// What became of a record read from Kafka.
    enum ReadOutcome: Equatable {
        case taken
        /// Not assigned, or at or below what was already read.
        case ignored
        /// The backlog is at its bound: the record was not taken, and the
        /// owner must re-read the partition from this offset later.
        case overBound
    }

    /// A record read from Kafka. The backlog bound is strict: a record
    /// past it is refused (to be read again after a rewind), not kept.
    mutating func read(_ location: Location, value: [UInt8]) -> ReadOutcome {
        guard let track = partitions[location.partition], track.accepts(location.offset) else { return .ignored }
        // Once a record is refused, so is everything after it until the
        // owner has rewound the partition: no gap may open behind it.
        if rewinds[location.partition] != nil { return .overBound }
        // Refused only once the bytes already open reach the bound, so the
        // backlog holds at most the bound plus one record, and a record of
        // any size is taken as soon as the backlog is below the bound
        // (refusing it while it would not fit could starve it for good).
        if openRecords >= configuration.maximumOpenRecords || openBytes >= configuration.maximumOpenBytes {
            memoryPaused = true
            rewinds[location.partition] = location.offset
            return .overBound
        }
        _ = partitions[location.partition]!.read(location.offset)
        values[location] = value
        openBytes += value.count
        return .taken
    }

    /// The record's local verification result.
    mutating func verified(_ location: Location, _ verdict: LocalVerdict, nowMs: Int64) -> Work {
        guard partitions[location.partition]?.stage(location.offset) == .verifying, let value = values[location] else { return Work() }
        var work = Work()
        switch verdict {
        case let .invalid(reason, detail):
            partitions[location.partition]?.set(location.offset, .deadLettering)
            work.deadLetters.append(DeadLetter(location: location, value: value, reason: reason, detail: detail))
        case let .valid(id), let .stale(id):
            partitions[location.partition]?.set(location.offset, .awaitingQuorum(id))
            if var event = events[id] {
                event.locations.append(location)
                events[id] = event
            } else {
                let event = PendingEvent(value: value, locations: [location], nextSubmitMs: nowMs + configuration.resubmitIntervalMs)
                events[id] = event
                scheduleSubmission(id, at: event.nextSubmitMs)
                work.submit.append((id, value))
            }
        }
        return work
    }

    /// A dead-letter write was acknowledged.
    mutating func deadLettered(_ location: Location, reason: RejectionReason) {
        guard partitions[location.partition]?.stage(location.offset) == .deadLettering else { return }
        settle(location)
        figures.deadLettered[reason, default: 0] += 1
    }

    // MARK: Validators

    /// A validator's answer to a submission of event `id`.
    mutating func answered(_ id: Hash32, _ admission: Admission, by validator: ValidatorID, nowMs: Int64) -> Work {
        guard configuration.validators.contains(validator), events[id] != nil else { return Work() }
        events[id]!.tally.answered(admission, by: validator)
        return decide(id, nowMs: nowMs)
    }

    /// A validator's commit notice for event `id`.
    mutating func noticed(_ id: Hash32, by validator: ValidatorID, nowMs: Int64) -> Work {
        guard configuration.validators.contains(validator), events[id] != nil else { return Work() }
        events[id]!.tally.noticed(by: validator)
        return decide(id, nowMs: nowMs)
    }

    // MARK: Time

    /// Resubmissions due by `nowMs`: each event not yet committed, to the
    /// validators that have not reported it committed.
    mutating func due(nowMs: Int64) -> [(id: Hash32, value: [UInt8], to: [ValidatorID])] {
        var resubmit: [(id: Hash32, value: [UInt8], to: [ValidatorID])] = []
        for bucket in schedule.keys.sorted() where bucket * 100 <= nowMs {
            for id in schedule.removeValue(forKey: bucket)! {
                guard var event = events[id], event.nextSubmitMs / 100 == bucket else { continue }
                guard event.nextSubmitMs <= nowMs else {
                    schedule[bucket, default: []].append(id)
                    continue
                }
                event.tally.forgetBackOffs()
                event.nextSubmitMs = nowMs + configuration.resubmitIntervalMs
                events[id] = event
                scheduleSubmission(id, at: event.nextSubmitMs)
                resubmit.append((id, event.value, event.tally.undecided(among: configuration.validators)))
                figures.resubmitted += 1
            }
        }
        return resubmit
    }

    /// Offsets now safe to commit, per partition (past the last commit).
    mutating func offsetsToCommit() -> [TopicPartition: Int64] {
        var commits: [TopicPartition: Int64] = [:]
        for partition in partitions.keys {
            if let offset = partitions[partition]!.offsetToCommit() { commits[partition] = offset }
        }
        return commits
    }

    /// The partitions that should be paused at `nowMs`: all of them while
    /// the backlog is over its bound, and those backing off.
    mutating func pausedPartitions(nowMs: Int64) -> Set<TopicPartition> {
        let records = openRecords
        if records >= configuration.maximumOpenRecords || openBytes >= configuration.maximumOpenBytes {
            memoryPaused = true
        } else if records * 5 < configuration.maximumOpenRecords * 4, openBytes * 5 < configuration.maximumOpenBytes * 4 {
            memoryPaused = false
        }
        pausedUntil = pausedUntil.filter { $0.value > nowMs }
        return memoryPaused ? Set(partitions.keys) : Set(pausedUntil.keys)
    }

    var isOverBound: Bool { memoryPaused }

    /// Per assigned partition: where this member started reading and the
    /// last offset it committed (for lag).
    func partitionOffsets() -> [TopicPartition: (start: Int64?, committed: Int64?)] {
        partitions.mapValues { ($0.startOffset, $0.committedOffset) }
    }

    // MARK: Private

    private mutating func decide(_ id: Hash32, nowMs: Int64) -> Work {
        guard let event = events[id] else { return Work() }
        var work = Work()
        switch event.tally.decision(quorum: configuration.quorum) {
        case let .committed(byAnswers):
            events[id] = nil
            for location in event.locations { settle(location) }
            if byAnswers { figures.replays += event.locations.count } else { figures.committed += 1; figures.replays += event.locations.count - 1 }
        case .nonceReplay:
            events[id] = nil
            for location in event.locations { settle(location) }
            figures.replays += event.locations.count
        case let .deadLetter(reason, detail):
            events[id] = nil
            for location in event.locations {
                partitions[location.partition]?.set(location.offset, .deadLettering)
                if let value = values[location] {
                    work.deadLetters.append(DeadLetter(location: location, value: value, reason: reason, detail: detail))
                }
            }
        case .backOff:
            var backedOff = event
            backedOff.backOffMs = min(max(configuration.backOffBaseMs, event.backOffMs * 2), configuration.backOffCapMs)
            backedOff.tally.forgetBackOffs()
            backedOff.nextSubmitMs = nowMs + backedOff.backOffMs
            events[id] = backedOff
            scheduleSubmission(id, at: backedOff.nextSubmitMs)
            for location in event.locations { pausedUntil[location.partition] = max(pausedUntil[location.partition] ?? 0, backedOff.nextSubmitMs) }
            figures.backOffs += 1
        case .wait:
            break
        }
        return work
    }

    private mutating func settle(_ location: Location) {
        partitions[location.partition]?.set(location.offset, .settled)
        if let value = values.removeValue(forKey: location) { openBytes -= value.count }
    }

    private mutating func scheduleSubmission(_ id: Hash32, at ms: Int64) {
        schedule[ms / 100, default: []].append(id)
    }
}
