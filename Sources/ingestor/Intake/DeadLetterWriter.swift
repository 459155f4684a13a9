import Events
import Kafka
import Logging
import Synchronization
import Wire

/// Writes invalid records to the DLQ (CONTRACT §2): the original value
/// unchanged and the five `x-cybermesh-*` headers. The
/// producer is idempotent; a record counts as dead-lettered only once the
/// broker acknowledged it, and a failed write is retried (the offset waits).
final class DeadLetterWriter: Sendable {
    typealias Acknowledged = @Sendable (IntakeLedger.DeadLetter) -> Void

    let topic: String
    private let producer: KafkaProducer
    private let logger: Logger
    private let retries = Mutex<[(dueMs: Int64, letter: IntakeLedger.DeadLetter)]>([])
    private let failures = Atomic<Int>(0)

    init(topic: String, producer: KafkaProducer, logger: Logger) {
        self.topic = topic
        self.producer = producer
        self.logger = logger
    }

    /// The headers of CONTRACT §2 for one dead letter.
    static func headers(_ letter: IntakeLedger.DeadLetter) -> [KafkaHeader] {
        [
            KafkaHeader(name: "x-cybermesh-reason", text: letter.reason.rawValue),
            KafkaHeader(name: "x-cybermesh-detail", text: String(letter.detail.prefix(1_024))),
            KafkaHeader(name: "x-cybermesh-source-topic", text: letter.location.partition.topic),
            KafkaHeader(name: "x-cybermesh-source-partition", text: "\(letter.location.partition.partition)"),
            KafkaHeader(name: "x-cybermesh-source-offset", text: "\(letter.location.offset)"),
        ]
    }

    /// The most of an original value kept when the whole one is larger than
    /// the DLQ accepts.
    static let truncatedValueBytes = 64 * 1024

    func write(_ letter: IntakeLedger.DeadLetter, acknowledged: @escaping Acknowledged) {
        write(letter, truncated: false, acknowledged: acknowledged)
    }

    /// A value too large for the DLQ (the producer's or broker's record
    /// limit) can never be written whole; rather than stop its partition for
    /// good, its first 64 KiB are written with `x-cybermesh-truncated-from`
    /// giving the original size.
    private func write(_ letter: IntakeLedger.DeadLetter, truncated: Bool, acknowledged: @escaping Acknowledged) {
        var headers = Self.headers(letter)
        var value = letter.value
        if truncated {
            headers.append(KafkaHeader(name: "x-cybermesh-truncated-from", text: "\(letter.value.count)"))
            value = Array(value.prefix(Self.truncatedValueBytes))
        }
        let retry: @Sendable (KafkaError) -> Void = { [self] error in
            if error.isRecordTooLarge, !truncated {
                logger.warning("dead letter too large for the DLQ; writing its first 64 KiB", metadata: [
                    "source": "\(letter.location.partition)@\(letter.location.offset)", "bytes": "\(letter.value.count)", "error": "\(error)",
                ])
                write(letter, truncated: true, acknowledged: acknowledged)
            } else {
                failed(letter, error)
            }
        }
        do {
            try producer.produce(topic: topic, key: nil, value: value, headers: headers) { result in
                switch result {
                case .success: acknowledged(letter)
                case let .failure(error): retry(error)
                }
            }
        } catch {
            retry(error)
        }
    }

    /// Write failures so far (each is retried).
    var failureCount: Int { failures.load(ordering: .relaxed) }

    /// Dead letters whose retry is due.
    func dueRetries(nowMs: Int64) -> [IntakeLedger.DeadLetter] {
        retries.withLock { pending in
            let due = pending.filter { $0.dueMs <= nowMs }.map(\.letter)
            pending.removeAll { $0.dueMs <= nowMs }
            return due
        }
    }

    private func failed(_ letter: IntakeLedger.DeadLetter, _ error: KafkaError) {
        failures.add(1, ordering: .relaxed)
        logger.warning("dead-letter write failed; retrying in 1 s (the offset waits)", metadata: [
            "source": "\(letter.location.partition)@\(letter.location.offset)", "reason": "\(letter.reason.rawValue)", "error": "\(error)",
        ])
        retries.withLock { $0.append((MonotonicClock.nowMs() + 1_000, letter)) }
    }
}
