import ConsensusCore
import Foundation
import Logging
import Testing
@testable import ConsensusDaemon

/// The on-disk index of committed transaction ids: found by id and event
/// time in recent and sealed windows, durable up to its recorded height,
/// torn appends cut off, windows past retention removed.
@Suite struct CommittedTransactionIndexTests {
    static let minute: Int64 = 60_000
    static let base: Int64 = 1_800_000_000_000

    static func id(_ n: Int) -> Hash32 {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = UInt8(n & 0xff)
        bytes[1] = UInt8((n >> 8) & 0xff)
        bytes[31] = 0x5a
        return Hash32(bytes: bytes)!
    }

    static func index(_ directory: String, retentionMs: Int64 = 24 * 60 * minute) throws -> CommittedTransactionIndex {
        try CommittedTransactionIndex(
            directory: directory, retentionMs: retentionMs, sealMarginMs: CommittedTransactionIndex.defaultSealMarginMs, logger: StorageTests.logger)
    }

    @Test func anIdIsFoundUnderItsEventsTimeAndNowhereElse() throws {
        let index = try Self.index(StorageTests.temporaryDirectory())
        try index.add(height: 1, blockTimeMs: Self.base, entries: [(Self.id(1), Self.base - 30_000), (Self.id(2), Self.base)])
        #expect(index.contains(Self.id(1), timestampMs: Self.base - 30_000))
        #expect(index.contains(Self.id(2), timestampMs: Self.base))
        #expect(!index.contains(Self.id(3), timestampMs: Self.base))
        #expect(!index.contains(Self.id(1), timestampMs: Self.base + 60 * Self.minute), "another window")
    }

    @Test func oldWindowsAreSealedSortedAndStillAnswer() throws {
        let directory = StorageTests.temporaryDirectory()
        let index = try Self.index(directory)
        for n in 0..<500 { try index.add(height: UInt64(n + 1), blockTimeMs: Self.base + Int64(n), entries: [(Self.id(499 - n), Self.base)]) }
        try index.add(height: 501, blockTimeMs: Self.base + 30 * Self.minute, entries: [(Self.id(1_000), Self.base + 30 * Self.minute)])
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.contains("\(CommittedTransactionIndex.window(of: Self.base)).sorted"))
        #expect(!files.contains("\(CommittedTransactionIndex.window(of: Self.base)).log"))
        #expect((0..<500).allSatisfy { index.contains(Self.id($0), timestampMs: Self.base) })
        #expect(!index.contains(Self.id(700), timestampMs: Self.base))
        #expect(index.indexedHeight == 501)
    }

    @Test func anAncientEventInALaterBlockJoinsItsSealedWindow() throws {
        let index = try Self.index(StorageTests.temporaryDirectory())
        try index.add(height: 1, blockTimeMs: Self.base, entries: [(Self.id(1), Self.base)])
        try index.add(height: 2, blockTimeMs: Self.base + 30 * Self.minute, entries: [])
        try index.add(height: 3, blockTimeMs: Self.base + 31 * Self.minute, entries: [(Self.id(2), Self.base)])
        #expect(index.contains(Self.id(1), timestampMs: Self.base))
        #expect(index.contains(Self.id(2), timestampMs: Self.base))
        try index.add(height: 4, blockTimeMs: Self.base + 32 * Self.minute, entries: [])
        #expect(index.contains(Self.id(1), timestampMs: Self.base) && index.contains(Self.id(2), timestampMs: Self.base), "after the merge")
    }

    @Test func aReopenedIndexKnowsWhatWasDurableAndCutsATornAppend() throws {
        let directory = StorageTests.temporaryDirectory()
        do {
            let index = try Self.index(directory)
            for n in 1...70 { try index.add(height: UInt64(n), blockTimeMs: Self.base, entries: [(Self.id(n), Self.base)]) }
            #expect(index.indexedHeight == 64, "durable every 64 blocks")
        }
        let log = "\(directory)/\(CommittedTransactionIndex.window(of: Self.base)).log"
        try StorageTests.append([1, 2, 3], to: log)
        let reopened = try Self.index(directory)
        #expect(reopened.indexedHeight == 64)
        try reopened.add(height: 60, blockTimeMs: Self.base, entries: [(Self.id(9_999), Self.base)])
        #expect(!reopened.contains(Self.id(9_999), timestampMs: Self.base), "heights at or below the durable one are not added again")
        try reopened.add(height: 71, blockTimeMs: Self.base, entries: [(Self.id(71), Self.base)])
        #expect(reopened.contains(Self.id(71), timestampMs: Self.base))
        #expect(reopened.contains(Self.id(70), timestampMs: Self.base))
        let size = (try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? -1
        #expect(size % 32 == 0, "the torn 3 bytes were cut off")
    }

    @Test func extremeTimestampsShareTheOutermostWindowsWithoutOverflow() throws {
        let index = try Self.index(StorageTests.temporaryDirectory())
        #expect(!index.contains(Self.id(1), timestampMs: Int64.min))
        #expect(!index.contains(Self.id(1), timestampMs: Int64.max))
        try index.add(height: 1, blockTimeMs: Self.base, entries: [(Self.id(1), Int64.min), (Self.id(2), Int64.max)])
        #expect(index.contains(Self.id(2), timestampMs: Int64.max))
        #expect(!index.contains(Self.id(1), timestampMs: Int64.min), "an ancient window is sealed at once and is past the retention")
    }

    @Test func aLogLeftByAnEarlierRunIsSealedAfterARestart() throws {
        let directory = StorageTests.temporaryDirectory()
        try Self.index(directory).add(height: 1, blockTimeMs: Self.base, entries: [(Self.id(1), Self.base)])
        let reopened = try Self.index(directory)
        try reopened.add(height: 2, blockTimeMs: Self.base + 30 * Self.minute, entries: [])
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.contains("\(CommittedTransactionIndex.window(of: Self.base)).sorted"))
        #expect(!files.contains("\(CommittedTransactionIndex.window(of: Self.base)).log"))
        #expect(reopened.contains(Self.id(1), timestampMs: Self.base))
    }

    @Test func windowsPastTheRetentionAreRemoved() throws {
        let directory = StorageTests.temporaryDirectory()
        let index = try Self.index(directory, retentionMs: 60 * Self.minute)
        try index.add(height: 1, blockTimeMs: Self.base, entries: [(Self.id(1), Self.base)])
        try index.add(height: 2, blockTimeMs: Self.base + 30 * Self.minute, entries: [])
        #expect(index.contains(Self.id(1), timestampMs: Self.base))
        try index.add(height: 3, blockTimeMs: Self.base + 120 * Self.minute, entries: [], durableEvery: 1)
        #expect(!index.contains(Self.id(1), timestampMs: Self.base))
    }
}
