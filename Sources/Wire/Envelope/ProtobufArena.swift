import Glibc
import CProtobufC

/// Scratch C memory for building one protobuf-c message from Swift values.
///
/// protobuf-c messages point at their strings, bytes and sub-messages. Rather
/// than nest one `withUnsafe...` closure per field, an encoder copies each
/// field into this arena, packs, and lets the arena free everything at the end
/// of the scope. The copies cost little next to packing, and no pointer into a
/// Swift buffer can outlive its closure. Not Sendable: one encoder, one scope.
final class ProtobufArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for pointer in allocations { free(pointer) }
    }

    /// A NUL-terminated copy of `string` (protobuf-c `string` fields).
    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(string.utf8)
        let raw = allocate(byteCount: utf8.count + 1)
        raw.copyMemory(from: utf8, byteCount: utf8.count)
        raw.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
        return raw.bindMemory(to: CChar.self, capacity: utf8.count + 1)
    }

    /// A copy of `bytes` (protobuf-c `bytes` fields).
    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let raw = allocate(byteCount: bytes.count)
        raw.copyMemory(from: bytes, byteCount: bytes.count)
        return ProtobufCBinaryData(len: bytes.count, data: raw.bindMemory(to: UInt8.self, capacity: bytes.count))
    }

    /// A C array of message pointers (protobuf-c `repeated` message fields).
    func pointers<T>(_ items: [UnsafeMutablePointer<T>]) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?>? {
        guard !items.isEmpty else { return nil }
        let raw = allocate(byteCount: MemoryLayout<UnsafeMutablePointer<T>?>.stride * items.count)
        let array = raw.bindMemory(to: UnsafeMutablePointer<T>?.self, capacity: items.count)
        for (index, item) in items.enumerated() { array[index] = item }
        return array
    }

    /// A C array of `bytes` values (protobuf-c `repeated bytes` fields).
    func binaries(_ items: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData>? {
        guard !items.isEmpty else { return nil }
        let raw = allocate(byteCount: MemoryLayout<ProtobufCBinaryData>.stride * items.count)
        let array = raw.bindMemory(to: ProtobufCBinaryData.self, capacity: items.count)
        for (index, item) in items.enumerated() { array[index] = binary(item) }
        return array
    }

    /// A C array of strings (protobuf-c `repeated string` fields).
    func cStrings(_ items: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !items.isEmpty else { return nil }
        let raw = allocate(byteCount: MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * items.count)
        let array = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: items.count)
        for (index, item) in items.enumerated() { array[index] = cString(item) }
        return array
    }

    /// Zeroed storage for one C struct; the caller runs the generated `_init`.
    func message<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        let raw = allocate(byteCount: MemoryLayout<T>.stride)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride)
        return raw.bindMemory(to: T.self, capacity: 1)
    }

    private func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        guard let pointer = malloc(max(byteCount, 1)) else {
            fatalError("out of memory allocating \(byteCount) bytes for a protobuf message")
        }
        allocations.append(pointer)
        return pointer
    }
}

/// Reading fields of an unpacked protobuf-c message into Swift values.
enum ProtobufFields {
    /// The bytes of a `bytes` field (a copy).
    static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let pointer = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: data.len))
    }

    /// The text of a `string` field, or nil if it is not valid UTF-8.
    static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return "" }
        return String(validatingCString: pointer)
    }
}

/// Packs a protobuf-c message whose size is known: `size` then `pack`.
func packProtobuf(size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: size)
    let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
        guard let base = buffer.baseAddress else { return 0 }
        return pack(base)
    }
    precondition(written == size, "protobuf-c packed \(written) bytes, announced \(size)")
    return out
}
