/// Capped exponential backoff with jitter, for reconnecting: attempt n waits a
/// uniformly random time in [d/2, d] where d = min(base * 2^n, cap), so a
/// restarted cluster does not reconnect in lockstep. Pure: the random draw
/// is passed in.
public struct Backoff: Sendable, Equatable {
    public let baseMs: Int
    public let capMs: Int
    public private(set) var attempt = 0

    public init(baseMs: Int = 100, capMs: Int = 5_000) {
        precondition(baseMs > 0 && capMs >= baseMs, "backoff needs 0 < base <= cap")
        self.baseMs = baseMs
        self.capMs = capMs
    }

    /// The ceiling of the next delay, before jitter.
    public var currentCeilingMs: Int {
        let shift = min(attempt, 30)
        return min(capMs, baseMs << shift)
    }

    /// The next delay; `unitRandom` in [0, 1) supplies the jitter.
    public mutating func nextDelayMs(unitRandom: Double) -> Int {
        let ceiling = currentCeilingMs
        attempt += 1
        let half = ceiling / 2
        return half + Int(Double(ceiling - half) * min(max(unitRandom, 0), 1))
    }

    /// After a connection that worked, start again from the base.
    public mutating func reset() { attempt = 0 }
}
