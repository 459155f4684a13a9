import CRdKafka

/// Receives librdkafka's log lines: syslog level (0 emergency ... 7 debug),
/// facility, text. Called from librdkafka's threads.
public typealias KafkaLogSink = @Sendable (_ level: Int32, _ facility: String, _ message: String) -> Void

/// The state librdkafka's C callbacks reach through the client's opaque
/// pointer (C callbacks cannot capture). The client object owns it and
/// outlives its handle.
final class ClientCallbacks: Sendable {
    let log: KafkaLogSink?
    let deliveries: DeliveryReports?
    let rebalance: RebalanceBox?

    init(log: KafkaLogSink?, deliveries: DeliveryReports?, rebalance: RebalanceBox?) {
        self.log = log
        self.deliveries = deliveries
        self.rebalance = rebalance
    }

    /// Sets the opaque and the callbacks this client uses on `conf`.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        if log != nil {
            rd_kafka_conf_set_log_cb(conf) { handle, level, facility, text in
                guard let handle, let opaque = rd_kafka_opaque(handle), let facility, let text else { return }
                Unmanaged<ClientCallbacks>.fromOpaque(opaque).takeUnretainedValue().log?(level, String(cString: facility), String(cString: text))
            }
        }
        if deliveries != nil {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message, let opaque else { return }
                Unmanaged<ClientCallbacks>.fromOpaque(opaque).takeUnretainedValue().deliveries?.report(message.pointee)
            }
        }
        if rebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf) { handle, error, list, opaque in
                guard let handle, let opaque else { return }
                Unmanaged<ClientCallbacks>.fromOpaque(opaque).takeUnretainedValue().rebalance?.rebalance(handle: handle, error: error, list: list)
            }
        }
    }
}
