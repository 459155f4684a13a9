// libFuzzer target: the Wire envelope decoder (protobuf-c unpack plus the
// Swift mapping). Whatever decodes must re-encode and decode to itself.
import FuzzSupport
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? EnvelopeCodec.decode(bytes) else { return 0 }
    let again = try? EnvelopeCodec.decode(EnvelopeCodec.encode(message))
    precondition(again == message, "envelope did not survive re-encoding")
    return 0
}

@_cdecl("FuzzEnvelope_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzEnvelope)
}
