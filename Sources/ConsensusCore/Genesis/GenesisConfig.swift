/// Timing of the genesis ceremony, in milliseconds. Defaults are the
/// issue's: refresh 10 s, genesis tolerance 15 min, rebroadcast 5 s doubling
/// to 60 s, grace 500 ms. (`GENESIS_READY_REFRESH_INTERVAL`,
/// `CONSENSUS_GENESIS_CLOCK_SKEW_TOLERANCE` in the daemon.)
public struct GenesisConfig: Sendable, Equatable {
    /// A rebroadcast sends a new, freshly signed GenesisReady once the current
    /// one is this old. 0 disables refreshing (tests of the backoff only).
    public var refreshIntervalMs: Int64 = 10_000
    /// How far an attestation's timestamp may be from the receiver's clock.
    /// Separate from (and much larger than) the normal message tolerance:
    /// validators of a new cluster start minutes apart.
    public var clockSkewToleranceMs: Int64 = 15 * 60_000
    /// Rebroadcast interval: base, doubling while the message is unchanged, capped.
    public var rebroadcastBaseMs: Int64 = 5_000
    public var rebroadcastCapMs: Int64 = 60_000
    /// After a quorum, the aggregator waits this long for the remaining attestations.
    public var aggregationGraceMs: Int64 = 500
    /// Without a certificate this long after a quorum was visible, the next
    /// validator in id order takes over aggregation.
    public var aggregatorTimeoutMs: Int64 = 10_000
    /// A validator holding the certificate answers each peer's GenesisReady
    /// with it, at most this often per peer.
    public var certificateReplyIntervalMs: Int64 = 2_000

    public init() {}

    /// Refuses settings that could recreate the seed's stall: a message must
    /// be refreshed well within the receivers' tolerance.
    public func validate() throws(GenesisConfigError) {
        guard clockSkewToleranceMs > 0 else { throw .nonPositive("CONSENSUS_GENESIS_CLOCK_SKEW_TOLERANCE") }
        guard refreshIntervalMs >= 0 else { throw .nonPositive("GENESIS_READY_REFRESH_INTERVAL") }
        if refreshIntervalMs > 0, refreshIntervalMs * 2 > clockSkewToleranceMs {
            throw .refreshTooSlow(refreshMs: refreshIntervalMs, toleranceMs: clockSkewToleranceMs)
        }
        guard rebroadcastBaseMs > 0, rebroadcastCapMs >= rebroadcastBaseMs else { throw .nonPositive("genesis rebroadcast base/cap") }
        guard aggregationGraceMs >= 0, aggregatorTimeoutMs > 0, certificateReplyIntervalMs > 0 else {
            throw .nonPositive("genesis grace/aggregator timeout")
        }
    }
}

/// A genesis timing setting that cannot work.
public enum GenesisConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    case nonPositive(String)
    case refreshTooSlow(refreshMs: Int64, toleranceMs: Int64)

    public var description: String {
        switch self {
        case let .nonPositive(name): return "\(name) must be positive"
        case let .refreshTooSlow(refresh, tolerance):
            return "GENESIS_READY_REFRESH_INTERVAL (\(refresh) ms) must be at most half of CONSENSUS_GENESIS_CLOCK_SKEW_TOLERANCE (\(tolerance) ms), or peers would reject rebroadcasts as stale"
        }
    }
}
