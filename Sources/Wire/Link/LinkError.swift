import Glibc

/// A failure to set up a listener or a connection.
public enum LinkError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidAddress(String)
    case socket(String, errno: Int32)
    case timeout(String, afterMs: Int)
    case tls(TLSError)

    public var description: String {
        switch self {
        case let .invalidAddress(detail): return "invalid address: \(detail)"
        case let .socket(operation, code): return "\(operation) failed: \(String(cString: strerror(code)))"
        case let .timeout(operation, ms): return "\(operation) timed out after \(ms) ms"
        case let .tls(error): return "TLS: \(error)"
        }
    }
}
