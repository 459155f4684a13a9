import ConsensusCore
import Foundation

/// A committed block as the REST API and the operator port show it
/// (CONTRACT §5): hashes and ids lowercase hex, times Unix milliseconds.
public struct BlockDocument: Codable, Equatable, Sendable {
    public let height: UInt64
    public let hash: String
    public let prevHash: String
    public let view: UInt64
    public let proposer: UInt32
    public let timeMs: Int64
    public let txCount: Int
    public let txRoot: String
    public let stateRoot: String
    public let txIds: [String]
    public let commitSigners: [UInt32]

    public init(_ block: ExecutedBlock) {
        let committed = block.committed
        height = committed.height
        hash = committed.blockHash.hex
        prevHash = committed.block.previousHash.hex
        view = committed.view
        proposer = committed.block.proposer.value
        timeMs = committed.block.timestampMs
        txCount = committed.block.transactions.count
        txRoot = committed.block.transactionRoot.hex
        stateRoot = block.stateRoot.hex
        txIds = committed.block.transactions.map(\.id.hex)
        commitSigners = committed.certificate.votes.map(\.voter.value).sorted()
    }
}

/// The error body of every JSON endpoint (CONTRACT §5).
public struct ErrorDocument: Codable, Equatable, Sendable {
    public struct Body: Codable, Equatable, Sendable {
        public let code: String
        public let message: String
    }

    public let error: Body

    public init(code: String, message: String) {
        error = Body(code: code, message: message)
    }
}

/// JSON encoding shared by every document: snake_case keys, sorted for
/// stable output.
public enum DocumentJSON {
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(value))) ?? Array(#"{"error":{"code":"internal","message":"encoding failed"}}"#.utf8)
    }
}
