import ConsensusCore
import Dispatch
import Events
import Foundation
import Synchronization
import Wire

/// Checks records against CONTRACT §1 on worker threads (one per core by
/// default), never on the consumer's thread or Swift's cooperative pool.
/// Jobs finish in any order; the ledger keeps offset order. The queue is
/// bounded by the ledger's backlog bound (every job is an open record).
final class VerificationPool: Sendable {
    struct Job: Sendable {
        let location: IntakeLedger.Location
        let value: [UInt8]
        let topicDomain: EventDomain
    }

    typealias Completion = @Sendable (IntakeLedger.Location, IntakeLedger.LocalVerdict, _ nanoseconds: UInt64) -> Void

    private let jobs = Mutex<(items: [Job], head: Int)>(([], 0))
    private let available = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    private let trustStore: TrustStoreFile
    private let configuration: EventValidator.Configuration
    private let workerCount: Int

    init(workers: Int, trustStore: TrustStoreFile, configuration: EventValidator.Configuration = .init(), completion: @escaping Completion) {
        self.trustStore = trustStore
        self.configuration = configuration
        workerCount = max(1, workers)
        for index in 0..<workerCount {
            finished.enter()
            let thread = Thread { [self] in
                work(completion)
                finished.leave()
            }
            thread.name = "verify-\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: Job) {
        jobs.withLock { $0.items.append(job) }
        available.signal()
    }

    var queued: Int { jobs.withLock { $0.items.count - $0.head } }

    func stop() {
        stopping.store(true, ordering: .releasing)
        for _ in 0..<workerCount { available.signal() }
        finished.wait()
    }

    /// The local verdict on one record value read from `topicDomain`'s topic.
    static func verdict(_ value: [UInt8], topicDomain: EventDomain, validator: EventValidator, nowMs: Int64) -> IntakeLedger.LocalVerdict {
        switch validator.validate(record: value, topicDomain: topicDomain, nowMs: nowMs) {
        case let .success(verified):
            return .valid(Hash32(bytes: verified.transactionID.bytes)!)
        case let .failure(rejection) where rejection.reason == .staleTimestamp:
            // The validators decide whether it was committed while fresh,
            // but only once everything but its age is checked here: the
            // timestamp comes before the signature in the contract's order,
            // and an unsigned record must never reach them as "stale".
            guard let event = try? SignedEvent.decode(value) else { return .invalid(.malformed, detail: "the record does not decode") }
            switch validator.validate(event: event, topicDomain: topicDomain, nowMs: nil) {
            case let .success(verified):
                return .stale(Hash32(bytes: verified.transactionID.bytes)!)
            case let .failure(problem):
                return .invalid(problem.reason, detail: problem.detail)
            }
        case let .failure(rejection):
            return .invalid(rejection.reason, detail: rejection.detail)
        }
    }

    private func work(_ completion: Completion) {
        while true {
            available.wait()
            if stopping.load(ordering: .acquiring) { return }
            let job: Job? = jobs.withLock { state in
                guard state.head < state.items.count else { return nil }
                let job = state.items[state.head]
                state.head += 1
                if state.head > 4_096, state.head * 2 > state.items.count {
                    state.items.removeFirst(state.head)
                    state.head = 0
                }
                return job
            }
            guard let job else { continue }
            let started = DispatchTime.now().uptimeNanoseconds
            let validator = EventValidator(trustStore: trustStore.store, configuration: configuration)
            let verdict = Self.verdict(job.value, topicDomain: job.topicDomain, validator: validator, nowMs: WallClock.nowMs())
            completion(job.location, verdict, DispatchTime.now().uptimeNanoseconds - started)
        }
    }
}
