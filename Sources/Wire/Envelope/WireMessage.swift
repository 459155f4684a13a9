import ConsensusCore

/// One message on the Wire: the Swift side of `Envelope.body`.
///
/// A later issue adds its kinds here (and in proto/cybermesh/v1/wire.proto and
/// `EnvelopeCodec`); link policies name kinds, so a new kind is refused by
/// every role until a policy allows it.
public enum WireMessage: Equatable, Sendable {
    case hello(Hello)
    case heartbeat(Heartbeat)
    case error(WireErrorMessage)
    case echo(Echo)
    /// Validator to validator: genesis, PBFT, heartbeats, checkpoints, catch-up, state transfer.
    case consensus(ConsensusMessage)
    /// Between a validator and its clients: ingestors, persisters, gateways.
    case service(ServiceMessage)

    public var kind: MessageKind {
        switch self {
        case .hello: return .hello
        case .heartbeat: return .heartbeat
        case .error: return .error
        case .echo: return .echo
        case let .consensus(message):
            switch message {
            case .genesis(.ready): return .genesisReady
            case .genesis(.certificate): return .genesisCertificate
            case .proposal: return .proposal
            case .vote: return .vote
            case .viewChange: return .viewChange
            case .newView: return .newView
            case .heartbeat: return .leaderHeartbeat
            case .blockRequest: return .blockRequest
            case .blocks: return .blocks
            case .checkpoint: return .checkpoint
            case .snapshotRequest: return .snapshotRequest
            case .snapshotChunk: return .snapshotChunk
            case .blockBodyRequest: return .blockBodyRequest
            case .blockBody: return .blockBody
            }
        case let .service(message):
            switch message {
            case .submitEvents: return .submitEvents
            case .submitResult: return .submitResult
            case .subscribeCommits: return .subscribeCommits
            case .commitNotices: return .commitNotices
            case .subscribeBlocks: return .subscribeBlocks
            case .blockStream: return .blockStream
            case .statusQuery: return .statusQuery
            case .statusReply: return .statusReply
            }
        }
    }
}

/// The kinds of Wire message, as link policies and metrics name them.
public enum MessageKind: String, CaseIterable, Sendable, Hashable {
    case hello
    case heartbeat
    case error
    case echo
    case genesisReady = "genesis_ready"
    case genesisCertificate = "genesis_certificate"
    case proposal
    case vote
    case viewChange = "view_change"
    case newView = "new_view"
    case leaderHeartbeat = "leader_heartbeat"
    case blockRequest = "block_request"
    case blocks
    case checkpoint
    case snapshotRequest = "snapshot_request"
    case snapshotChunk = "snapshot_chunk"
    case blockBodyRequest = "block_body_request"
    case blockBody = "block_body"
    case submitEvents = "submit_events"
    case submitResult = "submit_result"
    case subscribeCommits = "subscribe_commits"
    case commitNotices = "commit_notices"
    case subscribeBlocks = "subscribe_blocks"
    case blockStream = "block_stream"
    case statusQuery = "status_query"
    case statusReply = "status_reply"

    /// Everything validators exchange among themselves.
    public static let consensus: Set<MessageKind> = [
        .genesisReady, .genesisCertificate, .proposal, .vote, .viewChange, .newView, .leaderHeartbeat, .blockRequest, .blocks,
        .checkpoint, .snapshotRequest, .snapshotChunk, .blockBodyRequest, .blockBody,
    ]
    /// Everything a validator and its clients exchange.
    public static let services: Set<MessageKind> = [
        .submitEvents, .submitResult, .subscribeCommits, .commitNotices, .subscribeBlocks, .blockStream, .statusQuery, .statusReply,
    ]
    /// What an ingestor may ask a validator.
    public static let ingestorRequests: Set<MessageKind> = [.submitEvents, .subscribeCommits]
    /// What a persister may ask a validator.
    public static let persisterRequests: Set<MessageKind> = [.subscribeBlocks]
    /// What a gateway may ask a validator.
    public static let gatewayRequests: Set<MessageKind> = [.statusQuery]
}
