/// CRC-32C (Castagnoli), the checksum of every stored record: it catches
/// torn and corrupted writes cheaply. Not a defence against an attacker
/// with disk access (nothing on a validator's own disk is).
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 { Running().adding(bytes).value }

    /// A checksum over bytes that arrive in pieces.
    struct Running {
        private var state: UInt32 = 0xFFFF_FFFF

        func adding(_ bytes: [UInt8]) -> Running {
            var next = self
            bytes.withUnsafeBufferPointer { buffer in
                for byte in buffer { next.state = table[Int((next.state ^ UInt32(byte)) & 0xFF)] ^ (next.state >> 8) }
            }
            return next
        }

        var value: UInt32 { state ^ 0xFFFF_FFFF }
    }
}
