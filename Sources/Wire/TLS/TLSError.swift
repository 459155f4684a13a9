import COpenSSL

/// A failure in TLS set-up or the handshake, with OpenSSL's own explanation.
public struct TLSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being done, e.g. "loading the CA certificate /x/ca.pem".
    public let operation: String
    /// OpenSSL's error queue, oldest first ("" when it was empty).
    public let openSSLErrors: String

    public init(_ operation: String, openSSLErrors: String = TLSError.drainErrorQueue()) {
        self.operation = operation
        self.openSSLErrors = openSSLErrors
    }

    public var description: String {
        openSSLErrors.isEmpty ? operation : "\(operation): \(openSSLErrors)"
    }

    /// Takes every pending error off this thread's OpenSSL error queue, so
    /// the next failure on this thread reports only its own errors.
    public static func drainErrorQueue() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(cBuffer: buffer))
        }
        return messages.joined(separator: "; ")
    }
}
