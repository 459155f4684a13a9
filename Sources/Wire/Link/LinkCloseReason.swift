/// Why a link closed. Each has a metric label
/// (`cybermesh_wire_connections_closed_total{reason=...}`) and a log text.
public enum LinkCloseReason: Error, Equatable, Sendable, CustomStringConvertible {
    /// This process closed it (shutdown or `Link.close()`).
    case localClose
    /// The peer closed the connection.
    case peerClosed
    /// Nothing arrived within the idle timeout (heartbeats included).
    case idleTimeout
    /// TLS plus Hello did not complete within the handshake timeout.
    case handshakeTimeout
    /// The TLS handshake failed (not TLS, wrong CA, no certificate, ...).
    case handshakeFailed(String)
    /// The certificate verified but does not carry a usable identity, or
    /// not the identity this dialer expected.
    case badCertificate(String)
    /// The certificate's role may not hold a link here.
    case roleNotAllowed(Role)
    /// The first frame was not a Hello, or the Hello contradicts the
    /// certificate, the protocol version or the chain id.
    case badHello(String)
    case badFrame(FrameError)
    case badEnvelope(EnvelopeError)
    /// The peer's role may not send this kind of message.
    case messageNotAllowed(MessageKind, Role)
    /// A socket or TLS error after the handshake.
    case ioError(String)
    /// The listener already holds its maximum number of connections.
    case connectionLimit

    public var label: String {
        switch self {
        case .localClose: return "local_close"
        case .peerClosed: return "peer_closed"
        case .idleTimeout: return "idle_timeout"
        case .handshakeTimeout: return "handshake_timeout"
        case .handshakeFailed: return "handshake_failed"
        case .badCertificate: return "bad_certificate"
        case .roleNotAllowed: return "role_not_allowed"
        case .badHello: return "bad_hello"
        case let .badFrame(error): return error.label
        case let .badEnvelope(error): return error.label
        case .messageNotAllowed: return "message_not_allowed"
        case .ioError: return "io_error"
        case .connectionLimit: return "connection_limit"
        }
    }

    public var description: String {
        switch self {
        case .localClose: return "closed locally"
        case .peerClosed: return "peer closed the connection"
        case .idleTimeout: return "nothing received within the idle timeout"
        case .handshakeTimeout: return "TLS handshake and Hello not completed in time"
        case let .handshakeFailed(detail): return "TLS handshake failed: \(detail)"
        case let .badCertificate(detail): return "peer certificate refused: \(detail)"
        case let .roleNotAllowed(role): return "role \(role.rawValue) may not connect here"
        case let .badHello(detail): return "Hello refused: \(detail)"
        case let .badFrame(error): return "bad frame: \(error)"
        case let .badEnvelope(error): return "bad envelope: \(error)"
        case let .messageNotAllowed(kind, role): return "role \(role.rawValue) may not send \(kind.rawValue)"
        case let .ioError(detail): return "I/O error: \(detail)"
        case .connectionLimit: return "connection limit reached"
        }
    }

    /// Whether the peer broke the protocol (so it is told why before the close).
    var isProtocolViolation: Bool {
        switch self {
        case .roleNotAllowed, .badHello, .badFrame, .badEnvelope, .messageNotAllowed: return true
        default: return false
        }
    }
}
