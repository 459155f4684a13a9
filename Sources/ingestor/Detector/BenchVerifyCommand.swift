import ArgumentParser
import ConsensusCore
import Dispatch
import Events
import Foundation
import Synchronization
import Wire

/// `ingestor bench-verify`: what the ingestor's verification costs, against
/// raw libsodium Ed25519 verify of the same sign bytes in the same run
/// (`make bench-ingest`, docs/benchmarks.md). Printed, never asserted.
struct BenchVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-verify", abstract: "Measure event verification per core against raw Ed25519 verify (benchmark).")

    @Option(name: .long, help: "Events to verify.") var events = 20_000
    @Option(name: .long, help: "Threads for the all-cores figure (default: the cores).") var threads: Int?

    func validate() throws {
        guard (100...10_000_000).contains(events) else { throw ValidationError("--events must be 100-10,000,000") }
    }

    func run() throws {
        let key = Ed25519.SigningKey.generate()
        let trust = try TrustStore(producers: [TrustStore.Producer(id: "bench-detector", publicKey: key.publicKey, domains: Set(EventDomain.allCases))])
        var generator = EventGenerator(producers: [EventGenerator.Producer(id: "bench-detector", key: key, domains: nil)])
        let now = WallClock.nowMs()
        var records: [(value: [UInt8], domain: EventDomain)] = []
        var signed: [(message: [UInt8], signature: Ed25519.Signature)] = []
        for _ in 0..<events {
            let event = EventGenerator.sign(generator.nextDraft(), timestampMs: now)
            records.append((event.encoded(), EventDomain(rawValue: event.domain)!))
            signed.append((try event.signBytes(), Ed25519.Signature(bytes: event.signature)!))
        }
        let validator = EventValidator(trustStore: trust)

        var started = DispatchTime.now().uptimeNanoseconds
        var verified = 0
        for item in signed where Ed25519.verify(signature: item.signature, message: item.message, publicKey: key.publicKey) { verified += 1 }
        let rawPerS = Double(verified) / Self.seconds(since: started)

        started = DispatchTime.now().uptimeNanoseconds
        var valid = 0
        for record in records {
            if case .valid = VerificationPool.verdict(record.value, topicDomain: record.domain, validator: validator, nowMs: now) { valid += 1 }
        }
        let onePerS = Double(valid) / Self.seconds(since: started)

        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let counted = Mutex(0)
        let group = DispatchGroup()
        started = DispatchTime.now().uptimeNanoseconds
        let shared = records
        for worker in 0..<workers {
            group.enter()
            Thread {
                var mine = 0
                for index in stride(from: worker, to: shared.count, by: workers) {
                    if case .valid = VerificationPool.verdict(shared[index].value, topicDomain: shared[index].domain, validator: validator, nowMs: now) { mine += 1 }
                }
                counted.withLock { $0 += mine }
                group.leave()
            }.start()
        }
        group.wait()
        let allPerS = Double(counted.withLock { $0 }) / Self.seconds(since: started)
        guard verified == events, valid == events, counted.withLock({ $0 }) == events else {
            throw ValidationError("bench-verify: not every event verified (raw \(verified), one core \(valid), all cores \(counted.withLock { $0 }) of \(events))")
        }
        print(String(
            format: "verify events=%d raw_ed25519_per_s=%.0f ingestor_verify_per_s_1_core=%.0f ratio=%.2f ingestor_verify_per_s_%d_threads=%.0f",
            events, rawPerS, onePerS, onePerS / rawPerS, workers, allPerS))
        print(#"{"events": \#(events), "raw_ed25519_per_s": \#(Int(rawPerS)), "verify_per_s_1_core": \#(Int(onePerS)), "ratio": \#(String(format: "%.3f", onePerS / rawPerS)), "threads": \#(workers), "verify_per_s_all_threads": \#(Int(allPerS))}"#)
        fflush(nil)
    }

    private static func seconds(since start: UInt64) -> Double {
        max(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, 1e-9)
    }
}
