import ConsensusCore

/// Messages in flight between simulated replicas. Delivery time, loss,
/// duplication and partitions are all drawn from the simulation's one seeded
/// generator, so a seed replays exactly.
struct SimulatedNetwork {
    struct Envelope {
        let deliverAtMs: Int64
        let sequence: UInt64
        let from: ValidatorID
        /// Index of the receiving node (twins share an id, not a node).
        let toNode: Int
        let message: ConsensusMessage
    }

    /// How unreliable the network is while faults are on.
    struct Faults {
        var dropProbability = 0.0
        var duplicateProbability = 0.0
        var minimumDelayMs: Int64 = 1
        var maximumDelayMs: Int64 = 10
    }

    var faults = Faults()
    /// Node indexes on each side of a partition; nil = fully connected.
    var partition: Set<Int>?
    private(set) var inFlight: [Envelope] = []
    private var sequence: UInt64 = 0
    private(set) var delivered = 0
    private(set) var dropped = 0

    /// Whether `a` and `b` can talk now.
    func connected(_ a: Int, _ b: Int) -> Bool {
        guard let partition else { return true }
        return partition.contains(a) == partition.contains(b)
    }

    mutating func send(_ message: ConsensusMessage, from: ValidatorID, fromNode: Int, toNode: Int, nowMs: Int64, random: inout SeededGenerator) {
        guard connected(fromNode, toNode) else {
            dropped += 1
            return
        }
        if faults.dropProbability > 0, Double.random(in: 0..<1, using: &random) < faults.dropProbability {
            dropped += 1
            return
        }
        let copies = faults.duplicateProbability > 0 && Double.random(in: 0..<1, using: &random) < faults.duplicateProbability ? 2 : 1
        for _ in 0..<copies {
            let delay = Int64.random(in: faults.minimumDelayMs...max(faults.minimumDelayMs, faults.maximumDelayMs), using: &random)
            sequence += 1
            inFlight.append(Envelope(deliverAtMs: nowMs + delay, sequence: sequence, from: from, toNode: toNode, message: message))
        }
    }

    /// Removes and returns every message due by `nowMs`, in delivery order.
    mutating func due(by nowMs: Int64) -> [Envelope] {
        var ready: [Envelope] = []
        var keep: [Envelope] = []
        keep.reserveCapacity(inFlight.count)
        for envelope in inFlight {
            if envelope.deliverAtMs <= nowMs { ready.append(envelope) } else { keep.append(envelope) }
        }
        inFlight = keep
        delivered += ready.count
        return ready.sorted { ($0.deliverAtMs, $0.sequence) < ($1.deliverAtMs, $1.sequence) }
    }

    /// Drops whatever is in flight to a crashed node.
    mutating func discard(toNode node: Int) {
        inFlight.removeAll { $0.toNode == node }
    }
}
