import COpenSSL
import Glibc

/// One TLS connection over a non-blocking socket: it owns the `SSL` and the
/// file descriptor and closes both. Not thread-safe by design: OpenSSL does
/// not allow concurrent `SSL_read` and `SSL_write` on one `SSL`, so exactly
/// one thread (the connection's I/O thread) drives a session.
final class TLSSession {
    /// The outcome of one non-blocking TLS call.
    enum IOResult {
        case done(Int)
        case wantRead
        case wantWrite
        case closed
        case failed(String)
    }

    private let ssl: OpaquePointer
    let fd: Int32
    private var closed = false

    init(context: TLSContext, fd: Int32) throws(TLSError) {
        guard let ssl = SSL_new(context.pointer) else { throw TLSError("creating an SSL session") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw TLSError("attaching the socket to the SSL session")
        }
        if context.side == .server { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
        self.ssl = ssl
        self.fd = fd
    }

    deinit { close() }

    /// Advances the handshake by one step.
    func handshakeStep() -> IOResult {
        _ = TLSError.drainErrorQueue()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done(0) }
        return classify(result)
    }

    /// The certificate-proven identity of the peer, after a handshake.
    func peerIdentity() throws(TLSError) -> PeerIdentity {
        guard let certificate = SSL_get1_peer_certificate(ssl) else {
            throw TLSError("the peer presented no certificate", openSSLErrors: "")
        }
        defer { X509_free(certificate) }
        let verify = SSL_get_verify_result(ssl)
        guard verify == X509_V_OK else {
            throw TLSError("the peer certificate did not verify: \(String(cString: X509_verify_cert_error_string(verify)))", openSSLErrors: "")
        }
        return try CertificateNames.identity(of: certificate)
    }

    /// Reads decrypted bytes into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        _ = TLSError.drainErrorQueue()
        var count = 0
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        if result == 1 { return .done(count) }
        return classify(result)
    }

    /// Writes bytes; with partial writes enabled it may take fewer than given.
    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        _ = TLSError.drainErrorQueue()
        var count = 0
        let result = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count)
        if result == 1 { return .done(count) }
        return classify(result)
    }

    /// Sends close_notify (best effort, non-blocking) and closes the socket.
    func close() {
        guard !closed else { return }
        closed = true
        _ = SSL_shutdown(ssl)
        SSL_free(ssl)
        Glibc.close(fd)
    }

    private func classify(_ result: Int32) -> IOResult {
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let queue = TLSError.drainErrorQueue()
            let code = errno
            if queue.isEmpty && (code == 0 || code == ECONNRESET || code == EPIPE) { return .closed }
            return .failed(queue.isEmpty ? "socket error: \(String(cString: strerror(code)))" : queue)
        default:
            let queue = TLSError.drainErrorQueue()
            return .failed(queue.isEmpty ? "TLS error \(error)" : queue)
        }
    }
}
