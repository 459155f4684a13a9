import CRdKafka
import Synchronization

/// What a consumer's owner does when the group moves partitions. Both calls
/// run on the thread that called `poll`, inside it, before librdkafka
/// changes the assignment: on revocation the owner commits what is safe
/// while it still owns the partitions.
public protocol KafkaRebalanceHandler: AnyObject, Sendable {
    func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer)
    /// `lost` is true when the group already gave the partitions away (the
    /// member missed its session timeout): committing then fails, and the
    /// next owner re-reads from the last committed offset.
    func partitionsRevoked(_ partitions: [TopicPartition], lost: Bool, consumer: KafkaConsumer)
}

/// What one poll returned.
public enum KafkaConsumerEvent: Sendable {
    case record(KafkaRecord)
    /// A consumer-level problem librdkafka reports and recovers from by
    /// itself (broker down, a partition's fetch error); fatal ones are
    /// marked `fatal` and the consumer must be recreated.
    case error(KafkaError, fatal: Bool)
}

/// A librdkafka consumer in a group, with manual offset commits only: the
/// owner decides when an offset is safe (ARCHITECTURE §7). Partition moves
/// reach the owner's `KafkaRebalanceHandler`, with librdkafka's assignment
/// changed only after the handler returns, eagerly or incrementally as the
/// group's protocol says.
///
/// One thread polls; commit, pause and resume may be called from it (also
/// inside the rebalance handler). librdkafka's handle is thread-safe, so the
/// status reads (`assignment`, `watermarks`) may come from any thread.
public final class KafkaConsumer: Sendable {
    private let handle: HandleBox
    private let callbacks: ClientCallbacks
    private let closed = Atomic<Bool>(false)
    public let groupID: String

    /// Joins `group.id` from `configuration` and subscribes to `topics`.
    /// Auto-commit and auto offset store are turned off whatever the
    /// configuration says. With no topics the consumer never joins the
    /// group: it can only read the group's committed offsets (an observer).
    /// `log` receives librdkafka's own log lines; without it they go to
    /// standard error.
    public init(configuration: KafkaConfiguration, topics: [String], handler: KafkaRebalanceHandler, log: KafkaLogSink? = nil) throws(KafkaError) {
        guard let group = configuration["group.id"], !group.isEmpty else {
            throw KafkaError(operation: "create consumer", message: "group.id is required")
        }
        groupID = group
        var configuration = configuration
        configuration.set("enable.auto.commit", "false")
        configuration.set("enable.auto.offset.store", "false")
        let conf = try configuration.makeConf(operation: "create consumer")
        let box = RebalanceBox(handler: handler)
        callbacks = ClientCallbacks(log: log, deliveries: nil, rebalance: box)
        callbacks.install(on: conf)
        handle = HandleBox(try makeKafkaHandle(type: RD_KAFKA_CONSUMER, conf: conf, operation: "create consumer"))
        box.consumer.withLock { $0 = WeakConsumer(self) }
        _ = rd_kafka_poll_set_consumer(handle.pointer)
        guard !topics.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { _ = rd_kafka_topic_partition_list_add(list, topic, cybermesh_rd_kafka_partition_unassigned()) }
        let result = rd_kafka_subscribe(handle.pointer, list)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            // deinit (which runs: every property is set) closes and destroys the handle.
            throw KafkaError(operation: "subscribe to \(topics.joined(separator: ","))", result)
        }
    }

    /// Waits up to `timeoutMs` for a record or an error; nil on timeout.
    /// Rebalance handlers run inside this call. Blocking: own thread only.
    public func poll(timeoutMs: Int32) -> KafkaConsumerEvent? {
        guard let message = rd_kafka_consumer_poll(handle.pointer, timeoutMs) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        let raw = message.pointee
        if raw.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if raw.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return nil }
            var reason = [CChar](repeating: 0, count: 512)
            let fatalCode = rd_kafka_fatal_error(handle.pointer, &reason, reason.count)
            if fatalCode != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                return .error(KafkaError(operation: "consume", code: fatalCode.rawValue, message: text), fatal: true)
            }
            let text = raw.payload.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: raw.len), as: UTF8.self) }
            let error = KafkaError(operation: "consume", raw.err)
            return .error(text.map { KafkaError(operation: "consume", code: error.code, message: $0) } ?? error, fatal: false)
        }
        return .record(Self.copy(message))
    }

    /// Commits, synchronously, the next offset to read for each partition
    /// (the last processed offset + 1). Partitions no longer assigned fail.
    public func commit(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = TopicPartitionList.make(offsets.keys.sorted(), offsets: offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_commit(handle.pointer, list, 0)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(operation: "commit offsets \(offsets.keys.sorted().map { "\($0)@\(offsets[$0]!)" }.joined(separator: ","))", result)
        }
        for entry in TopicPartitionList.entries(list) where entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(operation: "commit offset of \(entry.partition)", entry.error)
        }
    }

    /// The group's committed next-offset per partition (nil: none yet).
    /// Asks the coordinator: blocking, up to `timeoutMs`.
    public func committed(_ partitions: [TopicPartition], timeoutMs: Int32) throws(KafkaError) -> [TopicPartition: Int64] {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_committed(handle.pointer, list, timeoutMs)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(operation: "read committed offsets", result) }
        var offsets: [TopicPartition: Int64] = [:]
        for entry in TopicPartitionList.entries(list) where entry.offset >= 0 { offsets[entry.partition] = entry.offset }
        return offsets
    }

    /// Stops fetching from these partitions (backpressure); records already
    /// fetched may still be returned by `poll`.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        try changeFetching(partitions, operation: "pause") { rd_kafka_pause_partitions($0, $1) }
    }

    /// Fetches again from paused partitions, from where consumption stopped.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        try changeFetching(partitions, operation: "resume") { rd_kafka_resume_partitions($0, $1) }
    }

    /// Rewinds a partition so that the next poll returns `offset` again (to
    /// re-read records dropped from memory).
    public func seek(_ partition: TopicPartition, to offset: Int64, timeoutMs: Int32) throws(KafkaError) {
        let list = TopicPartitionList.make([partition], offsets: [partition: offset])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(handle.pointer, list, timeoutMs) {
            let failure = KafkaError(operation: "seek \(partition) to \(offset)", rd_kafka_error_code(error))
            rd_kafka_error_destroy(error)
            throw failure
        }
        for entry in TopicPartitionList.entries(list) where entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(operation: "seek \(entry.partition) to \(offset)", entry.error)
        }
    }

    /// The partitions this member owns now.
    public var assignment: [TopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return TopicPartitionList.partitions(list)
    }

    /// The partition's low and high watermarks as last fetched (no broker
    /// round trip); nil before the first fetch.
    public func watermarks(_ partition: TopicPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = -1
        var high: Int64 = -1
        let result = rd_kafka_get_watermark_offsets(handle.pointer, partition.topic, partition.partition, &low, &high)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return (low, high)
    }

    /// "EAGER" or "COOPERATIVE", as the group negotiated; "NONE" before joining.
    public var rebalanceProtocol: String { rd_kafka_rebalance_protocol(handle.pointer).map { String(cString: $0) } ?? "NONE" }

    /// Leaves the group cleanly: the revocation handler runs (inside this
    /// call) so the owner commits, then the partitions go to other members
    /// at once instead of after the session timeout. Idempotent.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = rd_kafka_consumer_close(handle.pointer)
    }

    deinit {
        close()
        rd_kafka_destroy(handle.pointer)
    }

    private func changeFetching(
        _ partitions: [TopicPartition], operation: String,
        _ call: (OpaquePointer, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> rd_kafka_resp_err_t
    ) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = call(handle.pointer, list)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(operation: operation, result) }
        for entry in TopicPartitionList.entries(list) where entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(operation: "\(operation) \(entry.partition)", entry.error)
        }
    }

    private static func copy(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaRecord {
        let raw = message.pointee
        let topic = raw.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let value = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) }
        let key = raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        var headers: [KafkaHeader] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                if let name {
                    headers.append(KafkaHeader(name: String(cString: name), value: bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                }
                index += 1
            }
        }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &type)
        return KafkaRecord(
            topicPartition: TopicPartition(topic: topic, partition: raw.partition), offset: raw.offset,
            key: key, value: value, headers: headers, timestampMs: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }
}

/// The consumer as the rebalance callback sees it: librdkafka calls back
/// with the conf's opaque, which cannot retain the consumer (a cycle).
final class RebalanceBox: Sendable {
    let handler: KafkaRebalanceHandler
    let consumer = Mutex<WeakConsumer?>(nil)

    init(handler: KafkaRebalanceHandler) { self.handler = handler }

    func rebalance(handle: OpaquePointer, error: rd_kafka_resp_err_t, list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        let partitions = TopicPartitionList.partitions(list)
        let owner = consumer.withLock { $0?.consumer }
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if let owner { handler.partitionsAssigned(partitions, consumer: owner) }
            if cooperative {
                if let failure = rd_kafka_incremental_assign(handle, list) { rd_kafka_error_destroy(failure) }
            } else {
                _ = rd_kafka_assign(handle, list)
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            if let owner { handler.partitionsRevoked(partitions, lost: rd_kafka_assignment_lost(handle) != 0, consumer: owner) }
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(handle, list) { rd_kafka_error_destroy(failure) }
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        default:
            if let owner { handler.partitionsRevoked(partitions, lost: true, consumer: owner) }
            _ = rd_kafka_assign(handle, nil)
        }
    }
}

/// A weak reference that may cross threads.
struct WeakConsumer: @unchecked Sendable {
    weak var consumer: KafkaConsumer?
    init(_ consumer: KafkaConsumer) { self.consumer = consumer }
}
