import ConsensusCore
import Foundation
import Events

/// The Kafka topics the ingestor reads and writes, and the event domain each
/// input topic carries (CONTRACT §1: a domain must match its topic).
struct IngestTopics: Sendable, Equatable {
    /// The contract's default input topics, by the domain they carry.
    static let defaultInputs: [String: EventDomain] = [
        "ai.anomalies.v1": .anomaly, "ai.evidence.v1": .evidence, "ai.policy.v1": .policy,
    ]
    static let defaultDeadLetter = "ai.dlq.v1"
    /// Every topic `make run`'s embedded Kafka creates (CONTRACT §6).
    static let developmentTopics = ["ai.anomalies.v1", "ai.evidence.v1", "ai.policy.v1", "ai.dlq.v1", "control.commits.v1", "control.policy.v1", "control.reputation.v1"]

    /// Input topic name to the domain its events must carry.
    let inputs: [String: EventDomain]
    let deadLetter: String

    /// The topic that carries `domain` (for producers), the default name when several do.
    func topic(for domain: EventDomain) -> String? {
        inputs.filter { $0.value == domain }.map(\.key).sorted().first
    }

    /// Parses `KAFKA_INPUT_TOPICS`: comma-separated names; a default name
    /// needs nothing more, any other is written `name=domain`
    /// (`alerts=ai.anomaly.v1`). Nil with a reason when invalid.
    static func parseInputs(_ text: String) -> Result<[String: EventDomain], TopicListError> {
        var inputs: [String: EventDomain] = [:]
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            guard isValidTopicName(name) else { return .failure(TopicListError("\"\(name)\" is not a Kafka topic name (1-249 of [A-Za-z0-9._-])")) }
            let domain: EventDomain?
            if parts.count == 2 {
                domain = EventDomain(rawValue: parts[1])
                if domain == nil { return .failure(TopicListError("\"\(parts[1])\" is not a domain: use one of \(EventDomain.allCases.map(\.rawValue).joined(separator: ", "))")) }
            } else {
                domain = defaultInputs[name]
                if domain == nil { return .failure(TopicListError("topic \(name) needs its domain: write \(name)=<domain>")) }
            }
            guard inputs[name] == nil else { return .failure(TopicListError("topic \(name) is listed twice")) }
            inputs[name] = domain
        }
        return inputs.isEmpty ? .failure(TopicListError("no topic given")) : .success(inputs)
    }

    static func isValidTopicName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return (1...249).contains(bytes.count) && name != "." && name != ".." && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}

/// Why a topic list cannot be used.
struct TopicListError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
