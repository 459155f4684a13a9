import Glibc

/// A validator's own files cannot be used. Every case names the file and
/// what to do: these stop the daemon at startup rather than let it vote
/// from a state it cannot trust.
enum StorageError: Error, CustomStringConvertible {
    case io(path: String, operation: String, errno: Int32)
    /// A record whose checksum matched but whose contents do not decode: a
    /// bug or a file written by another version, never a torn write.
    case undecodable(path: String, offset: UInt64, detail: String)
    /// Records out of order (a block store with a gap, say).
    case inconsistent(path: String, detail: String)
    /// A damaged record that is not the final one: not a torn append but
    /// lost or flipped bits in the middle of the file.
    case corrupt(path: String, offset: UInt64, detail: String)

    var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(operation) \(path) failed: \(String(cString: strerror(code))) (errno \(code)); check the data directory's permissions and free space"
        case let .undecodable(path, offset, detail):
            return "\(path) at byte \(offset): \(detail); the file was written by another version or is damaged — move it aside and let the validator catch up from its peers"
        case let .corrupt(path, offset, detail):
            return "\(path) is corrupt at byte \(offset): \(detail). Only a final record can be torn by a crash, so the validator refuses to start rather than forget what it signed. Restore from peers: keep it stopped, move its data directory aside and start it again; it rejoins from its peers' snapshot (docs/validator.md, \"Restoring a validator from its peers\": restore one validator at a time)"
        case let .inconsistent(path, detail):
            return "\(path): \(detail); move the data directory aside and let the validator catch up from its peers"
        }
    }
}
