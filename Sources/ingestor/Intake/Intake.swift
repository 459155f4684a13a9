import ConsensusCore
import Events
import Foundation
import Kafka
import Logging
import Synchronization
import Wire

/// `ingestor run`'s engine: Kafka records in, verified on worker threads,
/// invalid ones dead-lettered, valid ones submitted to every validator,
/// offsets committed only past settled records (the `IntakeLedger`
/// decides; this class only moves data between it and the threads).
///
/// Threads: one consumer thread (poll, rebalances, housekeeping: commits,
/// pauses, resubmissions, batch flushes), the verification workers, the
/// validator links' threads, and the DLQ producer's delivery thread. All
/// meet at the ledger's lock and never hold it across I/O.
final class Intake: Sendable, KafkaRebalanceHandler, ValidatorSubmitter.Listener {
    struct Options: Sendable {
        var kafka: KafkaConfiguration
        var topics: IngestTopics
        var ledger: IntakeLedger.Configuration
        var verifyWorkers: Int
        var validation: EventValidator.Configuration
        /// On shutdown, how long to wait for open records to settle before
        /// committing and leaving the group (what is left is re-read later).
        var drainMs: Int64 = 5_000
        var housekeepingIntervalMs: Int64 = 20
        /// How often progress is committed to the group (revocations and
        /// shutdown commit at once).
        var commitIntervalMs: Int64 = 200
    }

    /// What `/status` and `/ready` show.
    struct Snapshot: Sendable {
        var joined = false
        var brokersDown = false
        var assigned: [TopicPartition] = []
        var paused: [TopicPartition] = []
        var openRecords = 0
        var openBytes = 0
        var pendingEvents = 0
        var figures = IntakeLedger.Figures()
        var consumed = 0
        var lastError: String?
    }

    let options: Options
    let submitter: ValidatorSubmitter
    let trustStore: TrustStoreFile
    private let deadLetters: DeadLetterWriter
    private let metrics: IntakeMetrics
    private let logger: Logger
    private let ledger: Mutex<IntakeLedger>
    private let pool = Mutex<VerificationPool?>(nil)
    private let paused = Mutex<Set<TopicPartition>>([])
    private let snapshot = Mutex(Snapshot())
    private let stopping = Atomic<Bool>(false)
    private let reloadRequested = Atomic<Bool>(false)
    private let rewindFailureLog = Mutex<Int64>(0)
    /// Consumer thread only: when progress was last committed, and the
    /// commit-failure log throttle (one line per 5 s with a count).
    /// `pausedUntilMs`: progress commits wait while the group rebalances.
    private let commitPacing = Mutex<(lastCommitMs: Int64, lastFailureLogMs: Int64, suppressed: Int, pausedUntilMs: Int64)>((0, 0, 0, 0))

    init(options: Options, submitter: ValidatorSubmitter, deadLetters: DeadLetterWriter, trustStore: TrustStoreFile, metrics: IntakeMetrics, logger: Logger) {
        self.options = options
        self.submitter = submitter
        self.deadLetters = deadLetters
        self.trustStore = trustStore
        self.metrics = metrics
        self.logger = logger
        ledger = Mutex(IntakeLedger(configuration: options.ledger))
    }

    var status: Snapshot { snapshot.withLock { $0 } }

    /// Asks the consumer loop to drain, commit and leave the group.
    func requestStop() { stopping.store(true, ordering: .releasing) }

    /// Asks for a trust-store reload at the next housekeeping (SIGHUP).
    func requestReload() { reloadRequested.store(true, ordering: .releasing) }

    /// The consumer loop; returns when stopped, throws on a fatal Kafka error.
    func run() throws {
        let verification = VerificationPool(workers: options.verifyWorkers, trustStore: trustStore, configuration: options.validation) { [weak self] location, verdict, nanoseconds in
            self?.verified(location, verdict, nanoseconds: nanoseconds)
        }
        pool.withLock { $0 = verification }
        defer { verification.stop() }
        let log = logger
        let consumer = try KafkaConsumer(
            configuration: options.kafka, topics: options.topics.inputs.keys.sorted(), handler: self,
            log: { level, facility, message in Self.logKafka(log, level: level, facility: facility, message: message) })
        metrics.trustStore(sha256: trustStore.loaded.sha256).record(1)
        logger.info("consuming", metadata: [
            "group": "\(consumer.groupID)", "topics": "\(options.topics.inputs.keys.sorted().joined(separator: ","))",
            "validators": "\(submitter.validators.count)", "notices_needed": "\(options.ledger.quorum)",
        ])
        var lastHousekeeping: Int64 = 0
        var fatal: KafkaError?
        while !stopping.load(ordering: .acquiring) {
            switch consumer.poll(timeoutMs: Int32(options.housekeepingIntervalMs)) {
            case let .record(record)?:
                take(record, verification)
            case let .error(error, isFatal)?:
                metrics.kafkaErrors.increment()
                snapshot.withLock {
                    $0.lastError = error.description
                    if error.name == "_ALL_BROKERS_DOWN" { $0.brokersDown = true }
                }
                if isFatal {
                    fatal = error
                    break
                }
                logger.warning("kafka", metadata: ["error": "\(error)"])
            case nil:
                break
            }
            if fatal != nil { break }
            let now = MonotonicClock.nowMs()
            if now - lastHousekeeping >= options.housekeepingIntervalMs {
                lastHousekeeping = now
                housekeeping(consumer)
            }
        }
        drain(consumer)
        if let fatal {
            logger.critical("fatal Kafka error: the consumer must be recreated; exiting", metadata: ["error": "\(fatal)"])
            throw fatal
        }
    }

    // MARK: Records in

    private func take(_ record: KafkaRecord, _ verification: VerificationPool) {
        metrics.consumed.increment()
        snapshot.withLock {
            $0.consumed += 1
            $0.brokersDown = false
        }
        let location = IntakeLedger.Location(partition: record.topicPartition, offset: record.offset)
        let value = record.value ?? []
        guard ledger.withLock({ $0.read(location, value: value) }) == .taken else { return }
        guard let domain = options.topics.inputs[record.topicPartition.topic] else {
            verified(location, .invalid(.domainMismatch, detail: "topic \(record.topicPartition.topic) carries no known domain"), nanoseconds: 0)
            return
        }
        if record.value == nil {
            verified(location, .invalid(.malformed, detail: "the record has no value"), nanoseconds: 0)
            return
        }
        verification.enqueue(VerificationPool.Job(location: location, value: value, topicDomain: domain))
    }

    private func verified(_ location: IntakeLedger.Location, _ verdict: IntakeLedger.LocalVerdict, nanoseconds: UInt64) {
        if nanoseconds > 0 { metrics.verifySeconds.recordNanoseconds(Int64(nanoseconds)) }
        if case .valid = verdict { metrics.valid.increment() }
        let work = ledger.withLock { $0.verified(location, verdict, nowMs: MonotonicClock.nowMs()) }
        perform(work)
    }

    // MARK: Validators in

    func validator(_ validator: ValidatorID, answered id: Hash32, _ admission: Admission) {
        perform(ledger.withLock { $0.answered(id, admission, by: validator, nowMs: MonotonicClock.nowMs()) })
    }

    func validator(_ validator: ValidatorID, committed ids: [Hash32], height: UInt64) {
        let now = MonotonicClock.nowMs()
        let work = ledger.withLock { ledger in
            var work = IntakeLedger.Work()
            for id in ids {
                let more = ledger.noticed(id, by: validator, nowMs: now)
                work.submit += more.submit
                work.deadLetters += more.deadLetters
            }
            return work
        }
        perform(work)
    }

    func validatorAnsweredWrongly(_ validator: ValidatorID, _ problem: String) {
        metrics.wrongAnswers.increment()
        logger.warning("validator answered wrongly; answer ignored", metadata: ["validator": "\(validator)", "problem": "\(problem)"])
    }

    private func perform(_ work: IntakeLedger.Work) {
        submitter.submit(work.submit)
        for letter in work.deadLetters { writeDeadLetter(letter) }
    }

    private func writeDeadLetter(_ letter: IntakeLedger.DeadLetter) {
        deadLetters.write(letter) { [weak self] written in
            guard let self else { return }
            ledger.withLock { $0.deadLettered(written.location, reason: written.reason) }
            metrics.deadLettered(written.reason).increment()
            logger.debug("dead-lettered", metadata: ["source": "\(written.location.partition)@\(written.location.offset)", "reason": "\(written.reason.rawValue)", "detail": "\(written.detail)"])
        }
    }

    // MARK: Rebalances (inside poll, on the consumer thread)

    func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) {
        ledger.withLock { $0.assign(partitions) }
        snapshot.withLock { $0.joined = true }
        commitPacing.withLock { $0.pausedUntilMs = 0 }
        logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))", "protocol": "\(consumer.rebalanceProtocol)"])
    }

    func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool, consumer: KafkaConsumer) {
        let offsets = ledger.withLock { $0.revoke(partitions) }
        // librdkafka keeps a partition's pause across unassign and assign:
        // resume it while this member still owns it, or it would come back
        // paused with nothing to resume it.
        let pausedHere = paused.withLock { $0.intersection(partitions) }.sorted()
        do {
            try consumer.resume(pausedHere)
        } catch {
            logger.warning("resume before revocation failed", metadata: ["error": "\(error)"])
        }
        paused.withLock { $0.subtract(partitions) }
        for partition in partitions { metrics.lag(partition).record(0) }
        if lost {
            logger.warning("partitions lost (session timed out): their open records will be re-read by the next owner", metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))"])
            return
        }
        commit(offsets, consumer: consumer, why: "revoke")
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))", "committed": "\(offsets.map { "\($0.key)@\($0.value)" }.sorted().joined(separator: ","))"])
    }

    // MARK: Housekeeping (consumer thread)

    private func housekeeping(_ consumer: KafkaConsumer, pauseAll: Bool = false) {
        if reloadRequested.exchange(false, ordering: .acquiringAndReleasing) { reloadTrustStore() }
        let now = MonotonicClock.nowMs()
        let commitNow = pauseAll || commitPacing.withLock { now - $0.lastCommitMs >= options.commitIntervalMs && now >= $0.pausedUntilMs }
        let (due, commits, wantPaused) = ledger.withLock {
            ($0.due(nowMs: now), commitNow ? $0.offsetsToCommit() : [:], $0.pausedPartitions(nowMs: now))
        }
        for resubmission in due { submitter.submit([(resubmission.id, resubmission.value)], to: resubmission.to) }
        submitter.flush()
        for letter in deadLetters.dueRetries(nowMs: now) { writeDeadLetter(letter) }
        commit(commits, consumer: consumer, why: "progress")
        let assignment = Set(ledger.withLock { $0.assigned })
        let current = paused.withLock { $0.intersection(assignment) }
        let want = pauseAll ? assignment : wantPaused.intersection(assignment)
        // The paused set records only what librdkafka confirmed, so that a
        // failed call is tried again at the next housekeeping.
        let toPause = want.subtracting(current).sorted()
        do {
            try consumer.pause(toPause)
            paused.withLock { $0 = current.union(toPause) }
            if !toPause.isEmpty { logger.info("partitions paused", metadata: ["partitions": "\(toPause.map(\.description).joined(separator: ","))"]) }
        } catch {
            paused.withLock { $0 = current }
            logger.warning("pause failed; retried at the next housekeeping", metadata: ["error": "\(error)"])
        }
        // Records refused at the bound are read again from the first one,
        // on every partition not to stay paused: before it resumes, or at
        // once when it was never paused (the backlog fell before the next
        // housekeeping); until then the ledger takes nothing more from it.
        let rewinds = ledger.withLock { $0.rewinds }
        for (partition, offset) in rewinds.sorted(by: { $0.key < $1.key }) where !want.contains(partition) && assignment.contains(partition) {
            do {
                try consumer.seek(partition, to: offset, timeoutMs: 5_000)
                ledger.withLock { $0.rewound(partition) }
            } catch {
                metrics.kafkaErrors.increment()
                if rewindFailureLog.withLock({ last in
                    guard MonotonicClock.nowMs() - last >= 5_000 else { return false }
                    last = MonotonicClock.nowMs()
                    return true
                }) {
                    logger.warning("rewind failed; retried at each housekeeping (logged every 5 s)", metadata: ["partition": "\(partition)", "offset": "\(offset)", "error": "\(error)"])
                }
            }
        }
        let stillRewinding = Set(ledger.withLock { $0.rewinds }.keys)
        var resumed: [TopicPartition] = []
        for partition in current.subtracting(want).subtracting(stillRewinding).sorted() {
            do {
                try consumer.resume([partition])
                paused.withLock { _ = $0.remove(partition) }
                resumed.append(partition)
            } catch {
                logger.warning("resume failed; the partition stays paused and is retried", metadata: ["partition": "\(partition)", "error": "\(error)"])
            }
        }
        if !resumed.isEmpty { logger.info("partitions resumed", metadata: ["partitions": "\(resumed.map(\.description).joined(separator: ","))"]) }
        publish(consumer)
    }

    private func commit(_ offsets: [TopicPartition: Int64], consumer: KafkaConsumer, why: String) {
        guard !offsets.isEmpty else { return }
        let now = MonotonicClock.nowMs()
        commitPacing.withLock { $0.lastCommitMs = now }
        do {
            try consumer.commit(offsets)
            ledger.withLock { $0.committed(offsets) }
            metrics.offsetCommits.increment()
        } catch {
            metrics.offsetCommitFailures.increment()
            // While the group rebalances, a commit carries a generation the
            // coordinator is replacing; repeating it every 200 ms only makes
            // librdkafka count the assignment as lost and rejoin again.
            if ["REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"].contains(error.name) {
                commitPacing.withLock { $0.pausedUntilMs = now + 3_000 }
            }
            let suppressed: Int? = commitPacing.withLock { pacing in
                guard now - pacing.lastFailureLogMs >= 5_000 else {
                    pacing.suppressed += 1
                    return nil
                }
                defer { pacing.lastFailureLogMs = now; pacing.suppressed = 0 }
                return pacing.suppressed
            }
            if let suppressed {
                logger.warning("offset commit failed; retried until it succeeds (the offsets stay where they were)", metadata: [
                    "why": "\(why)", "error": "\(error)", "failures_since_last_line": "\(suppressed)",
                ])
            }
        }
    }

    private func reloadTrustStore() {
        let previous = trustStore.loaded.sha256
        switch trustStore.reload() {
        case let .success((loaded, changed)):
            if changed {
                metrics.trustStore(sha256: previous).record(0)
                metrics.trustStore(sha256: loaded.sha256).record(1)
            }
            logger.notice("trust store reloaded (SIGHUP)", metadata: [
                "path": "\(trustStore.path)", "sha256": "\(loaded.sha256)", "producers": "\(loaded.store.producers.count)", "changed": "\(changed)",
            ])
        case let .failure(error):
            logger.error("trust store reload failed; keeping the loaded one", metadata: ["path": "\(trustStore.path)", "error": "\(error)", "sha256": "\(previous)"])
        }
    }

    private func publish(_ consumer: KafkaConsumer) {
        let (figures, open, bytes, pending, assigned, tracks) = ledger.withLock {
            ($0.figures, $0.openRecords, $0.openBytes, $0.pendingEvents, $0.assigned, $0.partitionOffsets())
        }
        let pausedNow = paused.withLock { $0.sorted() }
        let previous = snapshot.withLock { state -> IntakeLedger.Figures in
            let previous = state.figures
            state.figures = figures
            state.assigned = assigned
            state.paused = pausedNow
            state.openRecords = open
            state.openBytes = bytes
            state.pendingEvents = pending
            return previous
        }
        metrics.committed.increment(by: figures.committed - previous.committed)
        metrics.replays.increment(by: figures.replays - previous.replays)
        metrics.resubmissions.increment(by: figures.resubmitted - previous.resubmitted)
        metrics.backOffs.increment(by: figures.backOffs - previous.backOffs)
        metrics.openRecords.record(open)
        metrics.openBytes.record(bytes)
        metrics.pausedPartitions.record(pausedNow.count)
        metrics.assignedPartitions.record(assigned.count)
        metrics.validatorsLinked.record(submitter.linkedCount)
        for figure in submitter.queueFigures() { metrics.validatorQueue("\(figure.validator)").record(figure.queuedFrames + figure.pendingEvents) }
        for (partition, offsets) in tracks {
            if let high = consumer.watermarks(partition)?.high, let from = offsets.committed ?? offsets.start {
                metrics.lag(partition).record(max(0, high - from))
            }
        }
    }

    // MARK: Shutdown

    private func drain(_ consumer: KafkaConsumer) {
        // Read nothing more; records polled meanwhile are not taken, so
        // their offsets stay uncommitted and are read again later.
        let deadline = MonotonicClock.nowMs() + options.drainMs
        housekeeping(consumer, pauseAll: true)
        while MonotonicClock.nowMs() < deadline, ledger.withLock({ $0.openRecords }) > 0 {
            _ = consumer.poll(timeoutMs: Int32(options.housekeepingIntervalMs))
            housekeeping(consumer, pauseAll: true)
        }
        let left = ledger.withLock { $0.openRecords }
        logger.info("leaving the group", metadata: ["open_records": "\(left)", "note": "open records are re-read by the next owner"])
        consumer.close()
    }

    private static func logKafka(_ logger: Logger, level: Int32, facility: String, message: String) {
        switch level {
        case ...3: logger.error("librdkafka", metadata: ["facility": "\(facility)", "message": "\(message)"])
        case 4: logger.warning("librdkafka", metadata: ["facility": "\(facility)", "message": "\(message)"])
        case 5, 6: logger.info("librdkafka", metadata: ["facility": "\(facility)", "message": "\(message)"])
        default: logger.debug("librdkafka", metadata: ["facility": "\(facility)", "message": "\(message)"])
        }
    }
}
