// libFuzzer target: every consensus and service message decoder, one at a
// time. The first byte picks the message kind (an Envelope body field);
// the rest is that message's protobuf bytes, wrapped in a valid envelope
// by the harness, so every mutation lands in the chosen decoder instead of
// breaking the envelope around it. Whatever decodes must re-encode and
// decode to itself.
import FuzzSupport
import Wire

/// Envelope body fields (wire.proto): link 10-13, consensus 20-33, services 40-47.
let bodyFields: [UInt8] = [10, 11, 12, 13] + Array(20...33) + Array(40...47)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let field = bodyFields[Int(data[0]) % bodyFields.count]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var envelope: [UInt8] = [0x08, 0x01]  // version = 1
    envelope.append(contentsOf: varint(UInt64(field) << 3 | 2))
    envelope.append(contentsOf: varint(UInt64(body.count)))
    envelope.append(contentsOf: body)
    guard let message = try? EnvelopeCodec.decode(envelope) else { return 0 }
    let again = try? EnvelopeCodec.decode(EnvelopeCodec.encode(message))
    precondition(again == message, "message of field \(field) did not survive re-encoding")
    return 0
}

func varint(_ value: UInt64) -> [UInt8] {
    var value = value
    var out: [UInt8] = []
    while value >= 0x80 {
        out.append(UInt8(value & 0x7F) | 0x80)
        value >>= 7
    }
    out.append(UInt8(value))
    return out
}

@_cdecl("FuzzWireBody_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzWireBody)
}
