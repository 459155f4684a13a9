import ConsensusCore
import Synchronization

/// Counts, per submitted event, the distinct validators that reported it
/// committed; with f+1 of them at least one is honest, so the event is
/// settled (ARCHITECTURE §7). Thread-safe: notices arrive on every
/// validator link's own thread.
final class CommitTracker: Sendable {
    struct Figures {
        var submitted = 0
        var committed = 0
        var refused: [String: Int] = [:]
        var latenciesMs: [Int64] = []
    }

    private struct Pending {
        let submittedMs: Int64
        var reporters: Set<ValidatorID> = []
    }

    let needed: Int
    private let state = Mutex<(pending: [Hash32: Pending], period: Figures, total: Figures, heights: [ValidatorID: UInt64])>(([:], Figures(), Figures(), [:]))

    init(needed: Int) { self.needed = needed }

    func submitted(_ ids: [Hash32], atMs: Int64) {
        state.withLock { state in
            for id in ids where state.pending[id] == nil { state.pending[id] = Pending(submittedMs: atMs) }
            state.period.submitted += ids.count
            state.total.submitted += ids.count
        }
    }

    func refused(_ code: String) {
        state.withLock { state in
            state.period.refused[code, default: 0] += 1
            state.total.refused[code, default: 0] += 1
        }
    }

    /// A validator's notices for one block.
    func committed(_ ids: [Hash32], height: UInt64, by validator: ValidatorID, atMs: Int64) {
        state.withLock { state in
            state.heights[validator] = max(state.heights[validator] ?? 0, height)
            for id in ids {
                guard var pending = state.pending[id] else { continue }
                pending.reporters.insert(validator)
                if pending.reporters.count >= needed {
                    state.pending[id] = nil
                    let latency = atMs - pending.submittedMs
                    state.period.committed += 1
                    state.period.latenciesMs.append(latency)
                    state.total.committed += 1
                    state.total.latenciesMs.append(latency)
                } else {
                    state.pending[id] = pending
                }
            }
        }
    }

    /// The last height a validator reported (to resume its notices).
    func height(of validator: ValidatorID) -> UInt64 { state.withLock { $0.heights[validator] ?? 0 } }

    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Figures since the last call, and the whole run's.
    func takePeriod() -> (period: Figures, total: Figures) {
        state.withLock { state in
            let period = state.period
            state.period = Figures()
            return (period, state.total)
        }
    }

    /// Forgets events older than `cutoffMs` that never settled (counted as lost).
    func expire(olderThanMs cutoffMs: Int64) -> Int {
        state.withLock { state in
            let before = state.pending.count
            state.pending = state.pending.filter { $0.value.submittedMs >= cutoffMs }
            return before - state.pending.count
        }
    }
}

extension Array where Element == Int64 {
    /// The p-th percentile (0...1) of unsorted values; 0 when empty.
    func percentile(_ p: Double) -> Int64 {
        guard !isEmpty else { return 0 }
        let sorted = self.sorted()
        return sorted[Swift.min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}
