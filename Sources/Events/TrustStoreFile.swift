import Foundation
import Synchronization
import Wire

/// The trust store as a running process holds it: the file it came from,
/// the SHA-256 of the bytes loaded (reported in `/status` and `/metrics`, so
/// that an operator can see which version every process runs), and a
/// reload that keeps the old store when the new file is unreadable or
/// invalid (CONTRACT §4: re-read on SIGHUP).
public final class TrustStoreFile: Sendable {
    /// One loaded version.
    public struct Loaded: Sendable {
        public let store: TrustStore
        /// Lowercase hex SHA-256 of the file's bytes.
        public let sha256: String
        public let loadedAtMs: Int64
    }

    public let path: String
    private let current: Mutex<Loaded>

    /// Loads the file; a process must not start without a valid store.
    public init(path: String) throws(TrustStoreError) {
        self.path = path
        current = Mutex(try Self.read(path))
    }

    public var loaded: Loaded { current.withLock { $0 } }
    public var store: TrustStore { current.withLock { $0.store } }

    /// Re-reads the file. On success the new store replaces the old one
    /// (and the result says whether the bytes changed); on failure the old
    /// store stays and the error says why.
    public func reload() -> Result<(loaded: Loaded, changed: Bool), TrustStoreError> {
        do {
            let fresh = try Self.read(path)
            let previous = current.withLock { state in
                let previous = state.sha256
                state = fresh
                return previous
            }
            return .success((fresh, previous != fresh.sha256))
        } catch {
            return .failure(error)
        }
    }

    private static func read(_ path: String) throws(TrustStoreError) -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        let bytes = Array(data)
        let store = try TrustStore.parse(bytes)
        return Loaded(store: store, sha256: SHA256.hash(bytes).hex, loadedAtMs: Int64(Date().timeIntervalSince1970 * 1000))
    }
}
