import ConsensusCore
import Kafka

/// The records of one assigned partition that are not yet settled, in
/// offset order, and the offset the group may safely resume from: the
/// first offset still open, or one past the last record read when every
/// record is settled. Offsets may have gaps (compaction, transaction
/// markers); only the order matters.
struct PartitionTrack {
    /// Where a read record stands.
    enum Stage: Equatable {
        case verifying
        /// Waiting for f+1 validators (committed, or a common refusal).
        case awaitingQuorum(Hash32)
        /// Its dead-letter write is out, not yet acknowledged.
        case deadLettering
        case settled
    }

    private var offsets: [Int64] = []
    private var head = 0
    private(set) var stages: [Int64: Stage] = [:]
    /// One past the highest offset read; nil before the first record.
    private(set) var nextOffset: Int64?
    /// The first offset read: where this member started.
    private(set) var startOffset: Int64?
    /// The last offset committed to the group by this member.
    var committedOffset: Int64?

    /// Records read and not settled.
    var openCount: Int { stages.count }

    /// Whether `read` would record this offset.
    func accepts(_ offset: Int64) -> Bool {
        nextOffset.map { offset >= $0 } ?? true
    }

    /// Records a read offset. Kafka delivers a partition in order; a record
    /// at or below one already read (a rewind after a seek) is ignored.
    mutating func read(_ offset: Int64) -> Bool {
        if let nextOffset, offset < nextOffset { return false }
        offsets.append(offset)
        stages[offset] = .verifying
        if startOffset == nil { startOffset = offset }
        nextOffset = offset + 1
        return true
    }

    mutating func set(_ offset: Int64, _ stage: Stage) {
        guard stages[offset] != nil else { return }
        if stage == .settled {
            stages[offset] = nil
        } else {
            stages[offset] = stage
        }
    }

    func stage(_ offset: Int64) -> Stage? { stages[offset] }

    /// The next offset to read after a restart that would lose nothing:
    /// every record below it is settled.
    mutating func safeOffset() -> Int64? {
        while head < offsets.count, stages[offsets[head]] == nil { head += 1 }
        if head > 1_024, head * 2 > offsets.count {
            offsets.removeFirst(head)
            head = 0
        }
        return head < offsets.count ? offsets[head] : nextOffset
    }

    /// The safe offset when it is past the last committed one (or, before
    /// any commit, past where this member started).
    mutating func offsetToCommit() -> Int64? {
        guard let safe = safeOffset(), let baseline = committedOffset ?? startOffset, safe > baseline else { return nil }
        return safe
    }
}
