/// A value that is exactly `byteCount` bytes (a digest, key or signature),
/// so a wrong-length one cannot be constructed. Conformers provide storage
/// and the unchecked initialiser; validation and hex come from here.
public protocol FixedSizeBytes: Hashable, Sendable, CustomStringConvertible {
    static var byteCount: Int { get }
    var bytes: [UInt8] { get }
    /// Wraps bytes already known to have `byteCount` elements.
    init(uncheckedBytes: [UInt8])
}

extension FixedSizeBytes {
    /// Wraps `bytes`; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.init(uncheckedBytes: bytes)
    }

    /// Parses `2 * byteCount` hex characters; nil otherwise.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// Lowercase hex, the form of every hash and key in JSON and logs.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
