import ConsensusCore
import Testing
@testable import Wire

/// The frame decoder must give the same frames however the bytes are cut.
@Suite struct FrameDecoderTests {
    /// Frames of assorted sizes, including ones bigger than a typical read.
    static let payloads: [[UInt8]] = (1...40).map { n in (0..<(n * n * 7 + 1)).map { UInt8(truncatingIfNeeded: $0 &* n) } }
    static let stream: [UInt8] = payloads.reduce(into: []) { FrameCodec.append(payload: $1, to: &$0) }

    static func decode(_ chunks: [ArraySlice<UInt8>]) throws -> [[UInt8]] {
        var decoder = FrameDecoder(maximumFrameBytes: 1 << 20)
        var frames: [[UInt8]] = []
        for chunk in chunks {
            try decoder.feed(chunk)
            while let frame = try decoder.nextFrame() { frames.append(frame) }
        }
        #expect(decoder.bufferedByteCount == 0)
        return frames
    }

    @Test func bytesFedOneAtATimeYieldEveryFrame() throws {
        let chunks = Self.stream.indices.map { Self.stream[$0...$0] }
        #expect(try Self.decode(chunks) == Self.payloads)
    }

    @Test("bytes fed in random chunks yield every frame", arguments: [1, 2, 3, 42, 1_000])
    func randomChunks(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var chunks: [ArraySlice<UInt8>] = []
        var index = 0
        while index < Self.stream.count {
            let size = Int(generator.next() % 3_000) + 1
            let end = min(index + size, Self.stream.count)
            chunks.append(Self.stream[index..<end])
            index = end
        }
        #expect(try Self.decode(chunks) == Self.payloads)
    }

    @Test func manyFramesInOneReadYieldEveryFrame() throws {
        #expect(try Self.decode([Self.stream[...]]) == Self.payloads)
    }

    @Test func aZeroLengthFrameIsAnError() {
        var decoder = FrameDecoder()
        #expect(throws: FrameError.emptyFrame) { try decoder.feed([0, 0, 0, 0]) }
    }

    @Test func anOversizeAnnouncementFailsBeforeItsBodyArrives() {
        var decoder = FrameDecoder(maximumFrameBytes: 1_000)
        #expect(throws: FrameError.oversizeFrame(announced: 1_001, maximum: 1_000)) {
            try decoder.feed([0, 0, 0x03, 0xE9])
        }
        #expect(decoder.bufferedByteCount == 4, "nothing was allocated for the announced body")
    }

    @Test func anOversizeHeaderAfterAGoodFrameFailsWhenReached() throws {
        var decoder = FrameDecoder(maximumFrameBytes: 100)
        var bytes = FrameCodec.frame([1, 2, 3])
        bytes += [0, 0, 1, 0]
        try decoder.feed(bytes)
        #expect(try decoder.nextFrame() == [1, 2, 3])
        #expect(throws: FrameError.oversizeFrame(announced: 256, maximum: 100)) { try decoder.nextFrame() }
    }

    @Test func aDecoderThatFailedStaysFailed() {
        var decoder = FrameDecoder()
        #expect(throws: FrameError.emptyFrame) { try decoder.feed([0, 0, 0, 0]) }
        #expect(throws: FrameError.emptyFrame) { try decoder.feed(FrameCodec.frame([1])) }
    }

    @Test func aTruncatedFrameWaitsForMoreBytes() throws {
        var decoder = FrameDecoder()
        try decoder.feed(FrameCodec.frame([1, 2, 3, 4]).dropLast())
        #expect(try decoder.nextFrame() == nil)
        try decoder.feed([4])
        #expect(try decoder.nextFrame() == [1, 2, 3, 4])
    }
}
