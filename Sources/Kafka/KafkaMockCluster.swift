import CRdKafka

/// librdkafka's built-in mock Kafka cluster on 127.0.0.1: the development
/// and test broker (`ingestor dev-kafka`, the ingestor's tests). It speaks
/// the Kafka protocol to any client, keeps committed offsets and runs
/// consumer groups, but does not implement CreateTopics: topics are created
/// here, or auto-created on first use.
public final class KafkaMockCluster: Sendable {
    private let handle: HandleBox
    private let cluster: ClusterBox
    /// The `bootstrap.servers` value for clients: `127.0.0.1:PORT,...`.
    public let bootstrapServers: String

    /// Starts `brokers` mock brokers. librdkafka needs a client handle to own
    /// the cluster; a producer with no traffic serves.
    public init(brokers: Int32 = 1) throws(KafkaError) {
        var configuration = KafkaConfiguration()
        configuration.set("log_level", "3")
        let conf = try configuration.makeConf(operation: "start mock cluster")
        let handle = try makeKafkaHandle(type: RD_KAFKA_PRODUCER, conf: conf, operation: "start mock cluster")
        guard let cluster = rd_kafka_mock_cluster_new(handle, brokers) else {
            rd_kafka_destroy(handle)
            throw KafkaError(operation: "start mock cluster", message: "rd_kafka_mock_cluster_new failed (no free port on 127.0.0.1?)")
        }
        self.handle = HandleBox(handle)
        self.cluster = ClusterBox(pointer: cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Creates a topic; creating an existing one fails.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let result = rd_kafka_mock_topic_create(cluster.pointer, name, partitions, replicationFactor)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(operation: "create topic \(name)", result) }
    }

    /// Takes broker `id` (1-based) down or up, to test reconnection.
    public func setBroker(_ id: Int32, up: Bool) {
        _ = up ? rd_kafka_mock_broker_set_up(cluster.pointer, id) : rd_kafka_mock_broker_set_down(cluster.pointer, id)
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        rd_kafka_destroy(handle.pointer)
    }
}

/// The mock cluster pointer; librdkafka serves it from its own threads.
struct ClusterBox: @unchecked Sendable {
    let pointer: OpaquePointer
}
