import COpenSSL
import Glibc

/// One `SSL_CTX`: TLS 1.3 only, mutual authentication against the cluster
/// CA, no renegotiation, no session resumption (every link proves its
/// certificate afresh). Shared by all connections of a listener or dialer;
/// OpenSSL makes an `SSL_CTX` safe to use from many threads once configured.
public final class TLSContext: @unchecked Sendable {
    public enum Side: Sendable { case server, client }

    let pointer: OpaquePointer
    public let side: Side
    /// This process's identity, read from its own certificate.
    public let localIdentity: PeerIdentity

    public init(configuration: TLSConfiguration, side: Side) throws(TLSError) {
        _ = ProcessSignals.ignoreSIGPIPE
        _ = TLSError.drainErrorQueue()
        guard let ctx = SSL_CTX_new(side == .server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError("creating an SSL_CTX")
        }
        self.pointer = ctx
        self.side = side
        // Until localIdentity is set, a throw must still free the context.
        var configured = false
        defer { if !configured { SSL_CTX_free(ctx) } }
        let tls13 = cybermesh_tls1_3_version()
        guard cybermesh_ssl_ctx_set_min_proto_version(ctx, tls13) == 1,
              cybermesh_ssl_ctx_set_max_proto_version(ctx, tls13) == 1 else {
            throw TLSError("restricting the protocol to TLS 1.3")
        }
        _ = SSL_CTX_set_options(ctx, cybermesh_ssl_op_no_renegotiation() | cybermesh_ssl_op_no_tickets())
        _ = cybermesh_ssl_ctx_set_session_cache_mode(ctx, cybermesh_ssl_sess_cache_off())
        _ = cybermesh_ssl_ctx_set_mode(ctx, cybermesh_ssl_mode_partial_write())
        guard SSL_CTX_load_verify_locations(ctx, configuration.caCertificatePath, nil) == 1 else {
            throw TLSError("loading the cluster CA certificate \(configuration.caCertificatePath)")
        }
        guard SSL_CTX_use_certificate_chain_file(ctx, configuration.certificatePath) == 1 else {
            throw TLSError("loading the certificate \(configuration.certificatePath)")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError("loading the private key \(configuration.privateKeyPath) for the certificate \(configuration.certificatePath)")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSError("the private key \(configuration.privateKeyPath) does not match the certificate \(configuration.certificatePath)")
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        guard let own = SSL_CTX_get0_certificate(ctx) else {
            throw TLSError("reading back the certificate \(configuration.certificatePath)")
        }
        localIdentity = try CertificateNames.identity(of: own)
        configured = true
    }

    deinit { SSL_CTX_free(pointer) }
}

/// Process-wide signal settings the Wire depends on.
enum ProcessSignals {
    /// A write to a socket the peer has closed must fail with EPIPE, not
    /// kill the process with SIGPIPE (OpenSSL writes with plain `write`).
    static let ignoreSIGPIPE: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()
}
