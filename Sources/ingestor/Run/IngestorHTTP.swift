import Foundation
import Hummingbird
import Logging
import Wire

/// The ingestor's operator port: `/health`, `/ready` (brokers reachable,
/// group joined, a quorum of validators linked), `/metrics` and `/status`
/// (what the intake holds, per partition and per validator).
enum IngestorHTTP {
    static func application(intake: Intake, metrics: MetricsExporter, host: String, port: UInt16, logger: Logger, onBound: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in json(200, ["status": "ok"]) }
        router.get("/ready") { _, _ in
            let reasons = notReady(intake)
            return reasons.isEmpty ? json(200, ["status": "ready"]) : json(503, ["not_ready": reasons])
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/status") { _, _ in json(200, status(intake)) }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: Int(port)), serverName: "ingestor"),
            onServerRunning: { channel in onBound(channel.localAddress?.port ?? Int(port)) },
            logger: logger)
    }

    static func notReady(_ intake: Intake) -> [String] {
        let snapshot = intake.status
        var reasons: [String] = []
        if snapshot.brokersDown { reasons.append("kafka brokers unreachable") }
        if !snapshot.joined { reasons.append("consumer group not joined yet") }
        let validators = intake.submitter.validators.count
        let quorum = validators - (validators - 1) / 3
        let linked = intake.submitter.linkedCount
        if linked < quorum { reasons.append("\(linked) of \(validators) validators linked; \(quorum) needed") }
        return reasons
    }

    static func status(_ intake: Intake) -> [String: Any] {
        let snapshot = intake.status
        let trust = intake.trustStore.loaded
        return [
            "group_joined": snapshot.joined,
            "assigned": snapshot.assigned.map(\.description),
            "paused": snapshot.paused.map(\.description),
            "in_flight_events": snapshot.openRecords,
            "in_flight_bytes": snapshot.openBytes,
            "pending_events": snapshot.pendingEvents,
            "consumed": snapshot.consumed,
            "committed": snapshot.figures.committed,
            "replays": snapshot.figures.replays,
            "resubmitted": snapshot.figures.resubmitted,
            "back_offs": snapshot.figures.backOffs,
            "dead_lettered": Dictionary(uniqueKeysWithValues: snapshot.figures.deadLettered.map { ($0.key.rawValue, $0.value) }),
            "last_kafka_error": snapshot.lastError as Any,
            "trust_store": ["path": intake.trustStore.path, "sha256": trust.sha256, "producers": trust.store.producers.count, "loaded_at_ms": trust.loadedAtMs],
            "validators": intake.submitter.queueFigures().map {
                ["id": Int($0.validator.value), "linked": $0.linked, "queued_frames": $0.queuedFrames, "pending_events": $0.pendingEvents, "dropped_frames": Int($0.droppedFrames), "noticed": $0.noticed] as [String: Any]
            },
        ]
    }

    static func json(_ status: Int, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
}
