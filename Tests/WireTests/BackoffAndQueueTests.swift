import Testing
@testable import Wire

@Suite struct BackoffTests {
    @Test func delaysDoubleFromTheBaseUpToTheCap() {
        var backoff = Backoff(baseMs: 100, capMs: 1_000)
        let ceilings = (0..<7).map { _ -> Int in
            let ceiling = backoff.currentCeilingMs
            _ = backoff.nextDelayMs(unitRandom: 1)
            return ceiling
        }
        #expect(ceilings == [100, 200, 400, 800, 1_000, 1_000, 1_000])
    }

    @Test func jitterStaysBetweenHalfAndTheWholeCeiling() {
        var low = Backoff(baseMs: 100, capMs: 1_000)
        var high = Backoff(baseMs: 100, capMs: 1_000)
        #expect(low.nextDelayMs(unitRandom: 0) == 50)
        #expect(high.nextDelayMs(unitRandom: 0.999_999) == 99)
    }

    @Test func resetStartsAgainFromTheBase() {
        var backoff = Backoff(baseMs: 100, capMs: 1_000)
        for _ in 0..<5 { _ = backoff.nextDelayMs(unitRandom: 0.5) }
        backoff.reset()
        #expect(backoff.currentCeilingMs == 100)
    }

    @Test func manyAttemptsNeverOverflow() {
        var backoff = Backoff(baseMs: 100, capMs: 60_000)
        for _ in 0..<200 { #expect(backoff.nextDelayMs(unitRandom: 1) <= 60_000) }
    }
}

@Suite struct OutboundQueueTests {
    @Test func theFrameLimitDropsTheExcess() {
        let queue = OutboundQueue(maximumFrames: 3, maximumBytes: 1_000)
        let results = (0..<5).map { _ in queue.enqueue([1, 2]) }
        #expect(results == [true, true, true, false, false])
        #expect(queue.droppedCount == 2)
    }

    @Test func theByteLimitDropsTheExcess() {
        let queue = OutboundQueue(maximumFrames: 100, maximumBytes: 10)
        #expect(queue.enqueue(Array(repeating: 0, count: 6)))
        #expect(!queue.enqueue(Array(repeating: 0, count: 6)))
        #expect(queue.enqueue(Array(repeating: 0, count: 4)))
    }

    @Test func drainingCoalescesEveryFrameInOrderAndFreesTheSpace() {
        let queue = OutboundQueue(maximumFrames: 2, maximumBytes: 100)
        _ = queue.enqueue([1])
        _ = queue.enqueue([2, 3])
        var buffer: [UInt8] = []
        #expect(queue.drain(into: &buffer) == 2)
        #expect(buffer == [1, 2, 3])
        #expect(queue.isEmpty)
        #expect(queue.enqueue([4]))
    }
}
