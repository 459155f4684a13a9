// libFuzzer target: the Wire frame decoder, fed the input in chunks whose
// sizes come from the input itself. It must never crash, never return a
// frame above the limit and never buffer more than limit + one chunk.
import FuzzSupport
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let chunk = Int(first) + 1
    let limit = 1_024
    var decoder = FrameDecoder(maximumFrameBytes: limit)
    var index = 1
    do {
        while index < bytes.count {
            let end = min(index + chunk, bytes.count)
            try decoder.feed(bytes[index..<end])
            index = end
            while let frame = try decoder.nextFrame() {
                precondition(!frame.isEmpty && frame.count <= limit, "frame of \(frame.count) bytes escaped the limit")
                _ = try? EnvelopeCodec.decode(frame)
            }
            precondition(decoder.bufferedByteCount <= limit + 4 + chunk, "decoder buffered \(decoder.bufferedByteCount) bytes")
        }
    } catch {
        // A typed FrameError is the expected outcome for garbage.
    }
    return 0
}

@_cdecl("FuzzFrameDecoder_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzFrameDecoder)
}
