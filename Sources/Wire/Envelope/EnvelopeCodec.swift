import ConsensusCore
import CyberMeshProto

/// Encodes `WireMessage`s into `cybermesh.v1.wire.Envelope` bytes and back.
public enum EnvelopeCodec {
    /// Serializes a message in the current envelope version.
    public static func encode(_ message: WireMessage) -> [UInt8] {
        let arena = ProtobufArena()
        let envelope = arena.message(Cybermesh__V1__Wire__Envelope.self)
        cybermesh__v1__wire__envelope__init(envelope)
        envelope.pointee.version = WireProtocol.envelopeVersion
        switch message {
        case let .hello(hello):
            let body = arena.message(Cybermesh__V1__Wire__Hello.self)
            cybermesh__v1__wire__hello__init(body)
            body.pointee.protocol_version = hello.protocolVersion
            body.pointee.role = hello.role.protobuf
            body.pointee.node_id = arena.cString(hello.nodeID)
            body.pointee.chain_id = arena.cString(hello.chainID)
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_HELLO
            envelope.pointee.hello = body
        case let .heartbeat(heartbeat):
            let body = arena.message(Cybermesh__V1__Wire__Heartbeat.self)
            cybermesh__v1__wire__heartbeat__init(body)
            body.pointee.sequence = heartbeat.sequence
            body.pointee.sent_ms = heartbeat.sentMs
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_HEARTBEAT
            envelope.pointee.heartbeat = body
        case let .error(error):
            let body = arena.message(Cybermesh__V1__Wire__Error.self)
            cybermesh__v1__wire__error__init(body)
            body.pointee.code = arena.cString(error.code)
            body.pointee.message = arena.cString(error.message)
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_ERROR
            envelope.pointee.error = body
        case let .echo(echo):
            let body = arena.message(Cybermesh__V1__Wire__Echo.self)
            cybermesh__v1__wire__echo__init(body)
            body.pointee.id = echo.id
            body.pointee.payload = arena.binary(echo.payload)
            body.pointee.reply = echo.reply ? 1 : 0
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_ECHO
            envelope.pointee.echo = body
        case let .consensus(message):
            ConsensusEncoding.setBody(envelope, message, arena)
        case let .service(message):
            ServiceEncoding.setBody(envelope, message, arena)
        }
        let size = cybermesh__v1__wire__envelope__get_packed_size(envelope)
        return packProtobuf(size: size) { cybermesh__v1__wire__envelope__pack(envelope, $0) }
    }

    /// Parses one frame's payload. Garbage, an unknown version, a missing or
    /// unknown body and invalid fields are typed errors.
    public static func decode(_ bytes: [UInt8]) throws(EnvelopeError) -> WireMessage {
        let unpacked = bytes.withUnsafeBufferPointer { buffer in
            cybermesh__v1__wire__envelope__unpack(nil, buffer.count, buffer.baseAddress)
        }
        guard let unpacked else { throw .notProtobuf }
        defer { cybermesh__v1__wire__envelope__free_unpacked(unpacked, nil) }
        let envelope = unpacked.pointee
        guard envelope.version == WireProtocol.envelopeVersion else {
            throw .unsupportedVersion(envelope.version)
        }
        switch envelope.body_case {
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_HELLO:
            let body = envelope.hello.pointee
            guard let role = Role(protobuf: body.role) else { throw .invalidField(kind: .hello, field: "role") }
            guard let nodeID = ProtobufFields.string(body.node_id) else { throw .invalidField(kind: .hello, field: "node_id") }
            guard let chainID = ProtobufFields.string(body.chain_id) else { throw .invalidField(kind: .hello, field: "chain_id") }
            return .hello(Hello(protocolVersion: body.protocol_version, role: role, nodeID: nodeID, chainID: chainID))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_HEARTBEAT:
            let body = envelope.heartbeat.pointee
            return .heartbeat(Heartbeat(sequence: body.sequence, sentMs: body.sent_ms))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_ERROR:
            let body = envelope.error.pointee
            guard let code = ProtobufFields.string(body.code) else { throw .invalidField(kind: .error, field: "code") }
            guard let message = ProtobufFields.string(body.message) else { throw .invalidField(kind: .error, field: "message") }
            return .error(WireErrorMessage(code: code, message: message))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_ECHO:
            let body = envelope.echo.pointee
            return .echo(Echo(id: body.id, payload: ProtobufFields.bytes(body.payload), reply: body.reply != 0))
        default:
            do throws(ConsensusDecoding.Failure) {
                if let message = try ConsensusDecoding.message(in: envelope) {
                    // Signed extremes (a view of UInt64.max) are refused here, named.
                    if let field = message.outOfRangeField { throw ConsensusDecoding.Failure(kind: WireMessage.consensus(message).kind, field: field, outOfRange: true) }
                    return .consensus(message)
                }
                if let message = try ServiceDecoding.message(in: envelope) { return .service(message) }
            } catch {
                if error.outOfRange { throw .outOfRange(kind: error.kind, field: error.field) }
                throw .invalidField(kind: error.kind, field: error.field)
            }
            throw .missingBody
        }
    }
}

/// Why a frame's payload is not a usable envelope.
public enum EnvelopeError: Error, Equatable, Sendable, CustomStringConvertible {
    case notProtobuf
    case unsupportedVersion(UInt32)
    /// No body, or a body kind this build does not know (a newer peer).
    case missingBody
    case invalidField(kind: MessageKind, field: String)
    /// A view or height beyond `ConsensusLimits`: validly encoded, never legitimate.
    case outOfRange(kind: MessageKind, field: String)

    public var description: String {
        switch self {
        case .notProtobuf: return "frame is not a cybermesh.v1.wire.Envelope"
        case let .unsupportedVersion(version): return "envelope version \(version); this build speaks \(WireProtocol.envelopeVersion)"
        case .missingBody: return "envelope has no body this build knows"
        case let .invalidField(kind, field): return "\(kind.rawValue).\(field) is invalid"
        case let .outOfRange(kind, field): return "\(kind.rawValue).\(field) is out of range (views and heights stop at 2^62)"
        }
    }

    /// The metric label for this failure.
    public var label: String {
        switch self {
        case .notProtobuf: return "undecodable"
        case .unsupportedVersion: return "wrong_version"
        case .missingBody: return "unknown_kind"
        case .invalidField: return "invalid_field"
        case .outOfRange: return "out_of_range"
        }
    }
}
