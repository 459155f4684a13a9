/// The first frame each way on a link (ARCHITECTURE §4).
public struct Hello: Equatable, Sendable {
    public var protocolVersion: UInt32
    public var role: Role
    public var nodeID: String
    public var chainID: String

    public init(protocolVersion: UInt32 = WireProtocol.version, role: Role, nodeID: String, chainID: String) {
        self.protocolVersion = protocolVersion
        self.role = role
        self.nodeID = nodeID
        self.chainID = chainID
    }
}

/// Keeps an idle link alive.
public struct Heartbeat: Equatable, Sendable {
    public var sequence: UInt64
    public var sentMs: Int64

    public init(sequence: UInt64, sentMs: Int64) {
        self.sequence = sequence
        self.sentMs = sentMs
    }
}

/// Sent before a deliberate close, so the peer can log why.
public struct WireErrorMessage: Equatable, Sendable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// Diagnostics and tests: the receiver may answer with `reply = true`.
public struct Echo: Equatable, Sendable {
    public var id: UInt64
    public var payload: [UInt8]
    public var reply: Bool

    public init(id: UInt64, payload: [UInt8], reply: Bool = false) {
        self.id = id
        self.payload = payload
        self.reply = reply
    }
}

/// Versions of the Wire protocol.
public enum WireProtocol {
    /// The Hello protocol version this build speaks; a peer with another is refused.
    public static let version: UInt32 = 1
    /// The Envelope format version; a frame with another is refused.
    public static let envelopeVersion: UInt32 = 1
}
