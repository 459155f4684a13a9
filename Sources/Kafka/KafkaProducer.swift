import CRdKafka
import Foundation
import Synchronization

/// A librdkafka producer. It owns its handle and a thread that serves
/// delivery reports; each `produce` names what to do once the broker has
/// acknowledged the record (or librdkafka gave up on it), so that a caller
/// can let a Kafka offset advance only after its dead-letter write is safe.
///
/// Idempotence (`enable.idempotence=true`, hence `acks=all`) is on unless the
/// configuration says otherwise: a retried send never duplicates a record.
public final class KafkaProducer: Sendable {
    /// Called once per record, on the producer's delivery thread.
    public typealias Delivery = @Sendable (Result<DeliveredRecord, KafkaError>) -> Void

    private let handle: HandleBox
    private let reports: DeliveryReports
    private let poller = StopFlag()

    private let callbacks: ClientCallbacks

    /// `log` receives librdkafka's own log lines (broker connections,
    /// retries); without it they go to standard error.
    public init(configuration: KafkaConfiguration, log: KafkaLogSink? = nil) throws(KafkaError) {
        var configuration = configuration
        if configuration["enable.idempotence"] == nil { configuration.set("enable.idempotence", "true") }
        let conf = try configuration.makeConf(operation: "create producer")
        let reports = DeliveryReports()
        callbacks = ClientCallbacks(log: log, deliveries: reports, rebalance: nil)
        callbacks.install(on: conf)
        self.reports = reports
        self.handle = HandleBox(try makeKafkaHandle(type: RD_KAFKA_PRODUCER, conf: conf, operation: "create producer"))
        let handle = self.handle
        let poller = self.poller
        let thread = Thread {
            while !poller.isRaised { rd_kafka_poll(handle.pointer, 100) }
            poller.finished.signal()
        }
        thread.name = "kafka-producer"
        thread.start()
    }

    /// Queues one record for `topic` (partition chosen by key hash when nil).
    /// Throws at once when librdkafka refuses it (queue full, unknown topic
    /// in a strict cluster, record too large); otherwise `delivery` runs once.
    public func produce(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [],
        delivery: @escaping Delivery
    ) throws(KafkaError) {
        let token = reports.register(delivery)
        let list = rd_kafka_headers_new(headers.count)
        for header in headers {
            let result: rd_kafka_resp_err_t
            if let value = header.value {
                result = value.withUnsafeBytes { rd_kafka_header_add(list, header.name, -1, $0.baseAddress, $0.count) }
            } else {
                result = rd_kafka_header_add(list, header.name, -1, nil, 0)
            }
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                rd_kafka_headers_destroy(list)
                _ = reports.take(token)
                throw KafkaError(operation: "add header \(header.name)", result)
            }
        }
        let partition = partition ?? cybermesh_rd_kafka_partition_unassigned()
        let result = value.withUnsafeBytes { valueBytes in
            withOptionalBytes(key) { keyBytes in
                cybermesh_rd_kafka_produce(
                    handle.pointer, topic, partition, keyBytes?.baseAddress, keyBytes?.count ?? 0,
                    valueBytes.baseAddress, valueBytes.count, list, UnsafeMutableRawPointer(bitPattern: token))
            }
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_headers_destroy(list)
            _ = reports.take(token)
            throw KafkaError(operation: "produce to \(topic)", result)
        }
    }

    /// Produces one record and waits for its acknowledgement. Blocking: call
    /// it from a thread of your own, never from the cooperative pool.
    public func produceAndWait(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = []) throws(KafkaError) -> DeliveredRecord {
        let outcome = Mutex<Result<DeliveredRecord, KafkaError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        try produce(topic: topic, partition: partition, key: key, value: value, headers: headers) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// Records queued or in flight, not yet reported.
    public var inFlight: Int { Int(rd_kafka_outq_len(handle.pointer)) }

    /// Waits up to `timeoutMs` for every queued record to be reported; false
    /// when some are still outstanding.
    public func flush(timeoutMs: Int32) -> Bool {
        rd_kafka_flush(handle.pointer, timeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    deinit {
        _ = rd_kafka_flush(handle.pointer, 5_000)
        poller.raise()
        poller.finished.wait()
        rd_kafka_destroy(handle.pointer)
        reports.failAll(KafkaError(operation: "produce", message: "the producer closed before the broker acknowledged the record"))
    }
}

/// Tells a poll thread to end, and lets its owner wait until it has.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    let finished = DispatchSemaphore(value: 0)

    var isRaised: Bool { raised.load(ordering: .acquiring) }
    func raise() { raised.store(true, ordering: .releasing) }
}

/// The pending delivery callbacks, keyed by the per-record opaque token.
final class DeliveryReports: Sendable {
    private let pending = Mutex<(next: UInt, callbacks: [UInt: KafkaProducer.Delivery])>((1, [:]))

    func register(_ delivery: @escaping KafkaProducer.Delivery) -> UInt {
        pending.withLock { state in
            let token = state.next
            state.next += 1
            state.callbacks[token] = delivery
            return token
        }
    }

    func take(_ token: UInt) -> KafkaProducer.Delivery? {
        pending.withLock { $0.callbacks.removeValue(forKey: token) }
    }

    func report(_ message: rd_kafka_message_t) {
        guard let callback = take(UInt(bitPattern: message._private)) else { return }
        if message.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
            callback(.success(DeliveredRecord(topicPartition: TopicPartition(topic: topic, partition: message.partition), offset: message.offset)))
        } else {
            callback(.failure(KafkaError(operation: "deliver record", message.err)))
        }
    }

    func failAll(_ error: KafkaError) {
        let callbacks = pending.withLock { state in
            let callbacks = state.callbacks
            state.callbacks = [:]
            return callbacks
        }
        for callback in callbacks.values { callback(.failure(error)) }
    }
}

/// A librdkafka handle crossing into the poll thread. librdkafka handles are
/// thread-safe; the owner destroys the handle only after the thread ended.
struct HandleBox: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

/// Calls `body` with the bytes of `bytes`, or nil.
func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
