import ConsensusCore

/// What a validator offers other roles on the Wire (ARCHITECTURE §2, §7):
/// ingestors submit events and follow commits, persisters follow the block
/// stream, gateways query status. Link policies keep each role to its own
/// requests.
public enum ServiceMessage: Equatable, Sendable {
    case submitEvents(SubmitEvents)
    case submitResult(SubmitResult)
    /// Commit notices for every block from this height on; 0: from the next one.
    case subscribeCommits(fromHeight: UInt64)
    case commitNotices(CommitNotices)
    /// Executed blocks from this height on (1: from the start).
    case subscribeBlocks(fromHeight: UInt64)
    case blockStream([ExecutedBlock])
    case statusQuery(StatusQuery)
    case statusReply(StatusReply)
}

/// A batch of events from an ingestor: each the encoded `SignedEvent` as it
/// was read from Kafka.
public struct SubmitEvents: Equatable, Sendable {
    public var batchID: UInt64
    public var events: [[UInt8]]

    public init(batchID: UInt64, events: [[UInt8]]) {
        self.batchID = batchID
        self.events = events
    }
}

/// A validator's answer to one submitted event.
public struct EventAdmission: Equatable, Sendable {
    /// Nil when the event could not even be decoded.
    public var transactionID: Hash32?
    public var admission: Admission

    public init(transactionID: Hash32?, admission: Admission) {
        self.transactionID = transactionID
        self.admission = admission
    }
}

/// The answers to one `SubmitEvents`, in the order of its events.
public struct SubmitResult: Equatable, Sendable {
    public var batchID: UInt64
    public var results: [EventAdmission]

    public init(batchID: UInt64, results: [EventAdmission]) {
        self.batchID = batchID
        self.results = results
    }
}

/// The transactions of one committed block, as an ingestor needs them to
/// count f+1 validators per event before its Kafka offset may advance.
public struct CommitNotices: Equatable, Sendable {
    public var height: UInt64
    public var blockHash: Hash32
    public var blockTimeMs: Int64
    public var transactionIDs: [Hash32]

    public init(height: UInt64, blockHash: Hash32, blockTimeMs: Int64, transactionIDs: [Hash32]) {
        self.height = height
        self.blockHash = blockHash
        self.blockTimeMs = blockTimeMs
        self.transactionIDs = transactionIDs
    }
}

/// A committed block, its commit certificate and what the state machine did
/// with it: what a validator stores and streams to persisters.
public struct ExecutedBlock: Equatable, Sendable {
    public var committed: CommittedBlock
    public var stateRoot: Hash32
    /// Per transaction in block order: nil when applied, else why not.
    public var rejections: [String?]

    public init(committed: CommittedBlock, stateRoot: Hash32, rejections: [String?]) {
        self.committed = committed
        self.stateRoot = stateRoot
        self.rejections = rejections
    }

    /// From the core's commit action.
    public init(_ committed: CommittedBlock, _ execution: BlockExecution) {
        self.init(
            committed: committed, stateRoot: execution.stateRoot,
            rejections: execution.outcomes.map { outcome in
                if case let .rejected(reason) = outcome { return reason.description }
                return nil
            })
    }

    public var height: UInt64 { committed.height }
}

/// A gateway's question: one of the operator routes, answered with the same
/// JSON document the operator port serves.
public struct StatusQuery: Equatable, Sendable {
    public var id: UInt64
    public var path: String

    public init(id: UInt64, path: String) {
        self.id = id
        self.path = path
    }
}

public struct StatusReply: Equatable, Sendable {
    public var id: UInt64
    public var httpStatus: UInt32
    public var json: [UInt8]

    public init(id: UInt64, httpStatus: UInt32, json: [UInt8]) {
        self.id = id
        self.httpStatus = httpStatus
        self.json = json
    }
}
