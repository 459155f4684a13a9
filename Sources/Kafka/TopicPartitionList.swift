import CRdKafka

/// Conversions between Swift partitions and librdkafka's
/// `rd_kafka_topic_partition_list_t`, which only this target touches.
enum TopicPartitionList {
    /// A new list (the caller destroys it) with an offset per partition, or
    /// librdkafka's "invalid" offset when `offsets` has none.
    static func make(_ partitions: [TopicPartition], offsets: [TopicPartition: Int64] = [:]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        for partition in partitions {
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            element.pointee.offset = offsets[partition] ?? cybermesh_rd_kafka_offset_invalid()
        }
        return list
    }

    /// The partitions of a list librdkafka owns.
    static func partitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [TopicPartition] {
        entries(list).map(\.partition)
    }

    /// Partitions with their offsets and per-partition errors.
    static func entries(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [(partition: TopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        guard let list, let elements = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = elements[index]
            return (TopicPartition(topic: String(cString: element.topic), partition: element.partition), element.offset, element.err)
        }
    }
}
