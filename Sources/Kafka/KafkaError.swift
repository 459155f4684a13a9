import CRdKafka

/// A librdkafka failure, with the call that failed and librdkafka's own
/// words, so that a log line says what to fix (a broker address, a TLS
/// file, a property name).
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the wrapper was doing ("create consumer", "commit offsets", ...).
    public let operation: String
    /// librdkafka's error code (`rd_kafka_resp_err_t`), 0 when the failure
    /// came with text only (configuration errors).
    public let code: Int32
    /// librdkafka's message, or the wrapper's when librdkafka gave none.
    public let message: String

    public init(operation: String, code: Int32 = 0, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    init(operation: String, _ error: rd_kafka_resp_err_t) {
        self.init(operation: operation, code: error.rawValue, message: String(cString: rd_kafka_err2str(error)))
    }

    /// librdkafka's symbolic name of the code (`_TRANSPORT`, `TOPIC_AUTHORIZATION_FAILED`).
    public var name: String { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: code))) }

    /// True when librdkafka will keep retrying by itself (a broker down, a
    /// timeout): the client stays usable and the caller only logs it.
    public var isTransient: Bool {
        let error = rd_kafka_resp_err_t(rawValue: code)
        switch error {
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT,
             RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
             RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
             RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
             RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
            return true
        default:
            return false
        }
    }

    /// True when the record is larger than the producer or broker accepts:
    /// retrying the same record can never succeed.
    public var isRecordTooLarge: Bool {
        let error = rd_kafka_resp_err_t(rawValue: code)
        return error == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || error == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE
            || error == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE
    }

    public var description: String {
        code == 0 ? "kafka: \(operation) failed: \(message)" : "kafka: \(operation) failed: \(message) (\(name))"
    }
}
