/// What executing the block at `height` produced, as a later block's header
/// certifies it: the state root after it and a hash of its per-transaction
/// outcomes (CometBFT's AppHash and LastResultsHash).
///
/// Block h carries the results of height h - window (0 for the first
/// `window` blocks): with pipelining, h-1 may not be executed when h is
/// proposed, but every replica that may vote for h has executed h - window.
/// A quorum voting for h therefore certifies those results; a persister or
/// gateway proves a root or an outcome it serves by finding it in a
/// certified header (docs/consensus.md).
public struct ExecutionResults: Hashable, Sendable, CustomStringConvertible {
    public let height: UInt64
    public let stateRoot: Hash32
    public let outcomesHash: Hash32

    public init(height: UInt64, stateRoot: Hash32, outcomesHash: Hash32) {
        self.height = height
        self.stateRoot = stateRoot
        self.outcomesHash = outcomesHash
    }

    /// Before any block: the empty state and no outcomes.
    public static func genesis(crypto: any ConsensusCrypto) -> ExecutionResults {
        ExecutionResults(height: 0, stateRoot: .zero, outcomesHash: outcomesHash([], crypto: crypto))
    }

    /// The height whose results block `height` carries, for a pipeline `window`.
    public static func height(certifiedBy height: UInt64, window: UInt64) -> UInt64 {
        height > window ? height - window : 0
    }

    /// H(domain || count || (tag, reason code) per transaction, in block
    /// order): two replicas that reject for different reasons disagree. The
    /// stable snake_case code, not the detail text: rewording a message in a
    /// release must not fork consensus.
    public static func outcomesHash(_ outcomes: [TransactionOutcome], crypto: any ConsensusCrypto) -> Hash32 {
        var encoder = CanonicalEncoder(domain: "cybermesh.outcomes.v1")
        encoder.append(UInt32(clamping: outcomes.count))
        for outcome in outcomes {
            switch outcome {
            case .applied:
                encoder.append(UInt8(0))
            case let .rejected(reason):
                encoder.append(UInt8(1))
                encoder.append(reason.code)
            }
        }
        return crypto.hash(encoder.bytes)
    }

    public var description: String { "height \(height) root \(stateRoot.short) outcomes \(outcomesHash.short)" }
}

/// One block's entry in the state's results history: the root before it and
/// the hash of its outcomes. The state keeps the last
/// `LedgerState.resultsHistory` of them, so a replica installed from a
/// snapshot can check the results the next blocks carry: the certified root
/// covers them.
struct ResultsRecord: Hashable, Sendable {
    let height: UInt64
    let rootBefore: Hash32
    let outcomesHash: Hash32
}
