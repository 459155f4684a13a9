import ConsensusCore
import ArgumentParser
import Events
import Wire

/// Each way an event can break CONTRACT §1, one per dead-letter reason of
/// CONTRACT §2 (named as in the `x-cybermesh-reason` header), plus a replay
/// (republishing an event already published), which is counted and skipped
/// rather than dead-lettered.
enum InvalidEventKind: Hashable, Sendable, CaseIterable, ExpressibleByArgument {
    case invalid(RejectionReason)
    case replay

    static var allCases: [InvalidEventKind] { RejectionReason.allCases.map(Self.invalid) + [.replay] }

    init?(argument: String) {
        if argument == "replay" {
            self = .replay
        } else if let reason = RejectionReason(rawValue: argument) {
            self = .invalid(reason)
        } else {
            return nil
        }
    }

    var rawValue: String {
        switch self {
        case let .invalid(reason): return reason.rawValue
        case .replay: return "replay"
        }
    }

    /// The DLQ reason an ingestor must give it; nil for a replay.
    var expectedReason: RejectionReason? {
        if case let .invalid(reason) = self { return reason }
        return nil
    }
}

/// One record to publish: its value, the domain whose topic it goes to,
/// and the producer id used as its key.
struct DetectorRecord {
    let value: [UInt8]
    let topicDomain: EventDomain
    let key: String
    /// Nil for records that are not a decodable event.
    let transactionID: String?
}

/// Builds invalid events from valid drafts. Each is wrong in exactly one
/// way, so that the first failing check is the one named.
struct InvalidEventMaker {
    /// How far outside the 5-minute window stale and future events are put.
    static let outsideWindowMs: Int64 = 10 * 60 * 1000

    /// Why a kind cannot be made with these credentials.
    static func problem(_ kind: InvalidEventKind, producers: [EventGenerator.Producer]) -> String? {
        if kind == .invalid(.domainNotAllowed), !producers.contains(where: { ($0.domains?.count ?? EventDomain.allCases.count) < EventDomain.allCases.count }) {
            return "domain_not_allowed needs a producer whose \"domains\" in the producers file leaves one out"
        }
        return nil
    }

    static func make(_ kind: InvalidEventKind, generator: inout EventGenerator, nowMs: Int64, lastValid: DetectorRecord?) -> DetectorRecord {
        let draft = generator.nextDraft()
        func record(_ event: SignedEvent, topic: EventDomain? = nil) -> DetectorRecord {
            DetectorRecord(
                value: event.encoded(), topicDomain: topic ?? draft.domain, key: event.producerID,
                transactionID: SignBytes.transactionID(of: (try? event.signBytes()) ?? []).hex)
        }
        switch kind {
        case .invalid(.malformed):
            return DetectorRecord(value: Array("not a protobuf SignedEvent \(nowMs)".utf8) + [0xff, 0xff, 0xff], topicDomain: draft.domain, key: draft.producer.id, transactionID: nil)
        case .invalid(.oversize):
            let padding = String(repeating: "x", count: 66_000)
            let payload = Array(#"{"id":"big","type":"t","severity":1,"confidence":0.5,"pad":"\#(padding)"}"#.utf8)
            return record(EventGenerator.sign(EventGenerator.Draft(domain: .anomaly, payload: payload, producer: draft.producer), timestampMs: nowMs), topic: .anomaly)
        case .invalid(.unknownProducer):
            let stranger = EventGenerator.Producer(id: "unknown-detector", key: Ed25519.SigningKey.generate(), domains: nil)
            return record(EventGenerator.sign(EventGenerator.Draft(domain: draft.domain, payload: draft.payload, producer: stranger), timestampMs: nowMs))
        case .invalid(.domainNotAllowed):
            let limited = generator.producers.first { ($0.domains?.count ?? EventDomain.allCases.count) < EventDomain.allCases.count }!
            let domain = EventDomain.allCases.first { !(limited.domains ?? []).contains($0) }!
            let payload = EventGenerator.samplePayload(domain)
            return record(EventGenerator.sign(EventGenerator.Draft(domain: domain, payload: payload, producer: limited), timestampMs: nowMs), topic: domain)
        case .invalid(.domainMismatch):
            let other = EventDomain.allCases.first { $0 != draft.domain }!
            return record(EventGenerator.sign(draft, timestampMs: nowMs), topic: other)
        case .invalid(.badSignature):
            var event = EventGenerator.sign(draft, timestampMs: nowMs)
            event.signature[0] ^= 0x01
            return record(event)
        case .invalid(.badContentHash):
            var event = EventGenerator.sign(draft, timestampMs: nowMs)
            event.payload = Array(String(decoding: event.payload, as: UTF8.self).replacingOccurrences(of: "}", with: ",\"x\":1}", options: .backwards, range: nil).utf8)
            return record(event)
        case .invalid(.staleTimestamp):
            return record(EventGenerator.sign(draft, timestampMs: nowMs - outsideWindowMs))
        case .invalid(.futureTimestamp):
            return record(EventGenerator.sign(draft, timestampMs: nowMs + outsideWindowMs))
        case .invalid(.badPayload):
            let payload = Array(#"{"id":"a-bad","type":"port-scan","severity":99,"confidence":0.5}"#.utf8)
            return record(EventGenerator.sign(EventGenerator.Draft(domain: .anomaly, payload: payload, producer: draft.producer), timestampMs: nowMs), topic: .anomaly)
        case .replay:
            return lastValid ?? record(EventGenerator.sign(draft, timestampMs: nowMs))
        }
    }
}

extension EventGenerator {
    /// A minimal valid payload of `domain`.
    static func samplePayload(_ domain: EventDomain) -> [UInt8] {
        switch domain {
        case .anomaly: return Array(#"{"id":"a-sample","type":"scan","severity":3,"confidence":0.5}"#.utf8)
        case .evidence: return Array(#"{"id":"e-sample","anomaly_id":"a-sample","kind":"log"}"#.utf8)
        case .policy: return Array(#"{"id":"p-sample","action":"block","version":1}"#.utf8)
        }
    }
}
