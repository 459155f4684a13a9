import Glibc
@testable import Wire

/// A deliberately misbehaving client for tests: it speaks TLS with any
/// certificate and then writes whatever bytes a test wants, Hello or not.
final class RawTLSClient {
    let session: TLSSession
    private var decoder = FrameDecoder()

    /// Connects and completes the TLS handshake (TLS 1.3: a server that
    /// refuses the client certificate only shows it on the first read).
    init(port: UInt16, tls: TLSConfiguration) throws {
        let context = try TLSContext(configuration: tls, side: .client)
        let fd = try Socket.connect(host: "127.0.0.1", port: port, timeoutMs: 5_000)
        session = try TLSSession(context: context, fd: fd)
        let deadline = MonotonicClock.nowMs() + 10_000
        loop: while MonotonicClock.nowMs() < deadline {
            switch session.handshakeStep() {
            case .done: break loop
            case .wantRead, .wantWrite: wait(Int16(POLLIN | POLLOUT), ms: 50)
            case .closed: throw LinkError.ioError("closed during handshake")
            case let .failed(detail): throw LinkError.ioError(detail)
            }
        }
    }

    func sendHello(role: Role, nodeID: String, chainID: String = "test-chain", version: UInt32 = WireProtocol.version) {
        send(frame: FrameCodec.frame(EnvelopeCodec.encode(.hello(Hello(protocolVersion: version, role: role, nodeID: nodeID, chainID: chainID)))))
    }

    func send(_ message: WireMessage) {
        send(frame: FrameCodec.frame(EnvelopeCodec.encode(message)))
    }

    func send(frame bytes: [UInt8]) {
        var offset = 0
        let deadline = MonotonicClock.nowMs() + 10_000
        while offset < bytes.count, MonotonicClock.nowMs() < deadline {
            let result = bytes.withUnsafeBytes { session.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch result {
            case let .done(count): offset += count
            case .wantRead, .wantWrite: wait(Int16(POLLOUT), ms: 50)
            case .closed, .failed: return
            }
        }
    }

    /// Reads until the server closes (true) or `seconds` pass (false),
    /// collecting the messages it sent.
    func readUntilClosed(seconds: Int64 = 20) -> (closed: Bool, messages: [WireMessage]) {
        var messages: [WireMessage] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let deadline = MonotonicClock.nowMs() + seconds * 1000
        while MonotonicClock.nowMs() < deadline {
            let result = buffer.withUnsafeMutableBytes { session.read(into: $0) }
            switch result {
            case let .done(count):
                try? decoder.feed(buffer[0..<count])
                while let frame = try? decoder.nextFrame() {
                    if let message = try? EnvelopeCodec.decode(frame) { messages.append(message) }
                }
            case .wantRead, .wantWrite: wait(Int16(POLLIN), ms: 50)
            case .closed, .failed: return (true, messages)
            }
        }
        return (false, messages)
    }

    private func wait(_ events: Int16, ms: Int32) {
        var entry = pollfd(fd: session.fd, events: events, revents: 0)
        _ = poll(&entry, 1, ms)
    }
}

extension LinkError {
    static func ioError(_ detail: String) -> LinkError { .invalidAddress("test client: \(detail)") }
}
