/// The payload rules of CONTRACT §1, shared by the ingestor (which
/// dead-letters a bad payload) and the state machine (which must reject the
/// same payloads deterministically if a Byzantine leader proposes one).
///
/// String lengths are counted in Unicode scalars, which every Swift version
/// counts identically (grapheme clusters change with Unicode versions).
public enum PayloadSchema {
    /// At most this many payload bytes (CONTRACT §1).
    public static let maximumPayloadBytes = 65_536

    /// Parses and checks a payload for `domain`. Extra fields are allowed and kept.
    public static func validate(_ payload: [UInt8], domain: EventDomain) throws(PayloadError) -> ValidatedPayload {
        guard payload.count <= maximumPayloadBytes else {
            throw PayloadError(field: nil, problem: "payload is \(payload.count) bytes; the limit is \(maximumPayloadBytes)")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(payload)
        } catch {
            throw PayloadError(field: nil, problem: error.description)
        }
        guard case .object = json else {
            throw PayloadError(field: nil, problem: "payload must be a JSON object, got \(json.typeName)")
        }
        let checker = FieldChecker(json: json)
        switch domain {
        case .anomaly:
            try checker.string("id", length: 1...128)
            try checker.string("type", length: 1...64)
            try checker.integer("severity", range: 1...10)
            try checker.number("confidence", range: 0...1)
            try checker.optionalString("source")
            try checker.optionalString("target")
            try checker.optionalString("model")
            try checker.optionalTimestamp("detected_at")
            try checker.optionalObject("details")
        case .evidence:
            try checker.string("id", length: 1...128)
            try checker.string("anomaly_id", length: 1...128)
            try checker.string("kind", length: 1...64)
            try checker.optionalObject("data")
        case .policy:
            try checker.string("id", length: 1...128)
            try checker.string("action", length: 1...64)
            try checker.integer("version", range: 1...Int64.max)
            try checker.optionalObject("rule")
        }
        return ValidatedPayload(domain: domain, json: json)
    }
}

/// A payload that passed `PayloadSchema.validate`, with typed access to the
/// fields its domain requires.
public struct ValidatedPayload: Equatable, Sendable {
    public let domain: EventDomain
    public let json: JSONValue

    /// The required `id` (every domain has one).
    public var id: String { stringField("id") }

    /// A required string field; validation guarantees it is present.
    public func stringField(_ name: String) -> String {
        if case let .string(value)? = json[name] { return value }
        preconditionFailure("validated payload lacks string field \(name)")
    }

    /// A required integer field; validation guarantees it is present.
    public func integerField(_ name: String) -> Int64 {
        if case let .number(value)? = json[name], let integer = value.int64Value { return integer }
        preconditionFailure("validated payload lacks integer field \(name)")
    }
}

/// Why a payload breaks the contract: the field (if one) and the problem.
public struct PayloadError: Error, Equatable, CustomStringConvertible {
    public let field: String?
    public let problem: String
    public var description: String {
        if let field { return "field \(field): \(problem)" }
        return problem
    }
}

private struct FieldChecker {
    let json: JSONValue

    func string(_ name: String, length: ClosedRange<Int>) throws(PayloadError) {
        guard let value = json[name] else { throw PayloadError(field: name, problem: "is required") }
        guard case let .string(text) = value else { throw PayloadError(field: name, problem: "must be a string, got \(value.typeName)") }
        let count = text.unicodeScalars.count
        guard length.contains(count) else {
            throw PayloadError(field: name, problem: "must be \(length.lowerBound)-\(length.upperBound) characters, got \(count)")
        }
    }

    func integer(_ name: String, range: ClosedRange<Int64>) throws(PayloadError) {
        guard let value = json[name] else { throw PayloadError(field: name, problem: "is required") }
        guard case let .number(number) = value, number.isInteger else {
            throw PayloadError(field: name, problem: "must be an integer, got \(value.typeName == "number" ? "a non-integer number" : value.typeName)")
        }
        guard let integer = number.int64Value, range.contains(integer) else {
            let upper = range.upperBound == Int64.max ? "" : " and at most \(range.upperBound)"
            throw PayloadError(field: name, problem: "must be at least \(range.lowerBound)\(upper), got \(number.literal)")
        }
    }

    func number(_ name: String, range: ClosedRange<Double>) throws(PayloadError) {
        guard let value = json[name] else { throw PayloadError(field: name, problem: "is required") }
        guard case let .number(number) = value, let double = number.doubleValue else {
            throw PayloadError(field: name, problem: "must be a number, got \(value.typeName)")
        }
        guard range.contains(double) else {
            throw PayloadError(field: name, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(number.literal)")
        }
    }

    func optionalString(_ name: String) throws(PayloadError) {
        guard let value = json[name] else { return }
        guard case .string = value else { throw PayloadError(field: name, problem: "must be a string, got \(value.typeName)") }
    }

    func optionalObject(_ name: String) throws(PayloadError) {
        guard let value = json[name] else { return }
        guard case .object = value else { throw PayloadError(field: name, problem: "must be an object, got \(value.typeName)") }
    }

    func optionalTimestamp(_ name: String) throws(PayloadError) {
        guard let value = json[name] else { return }
        guard case let .string(text) = value, RFC3339.isValid(text) else {
            throw PayloadError(field: name, problem: "must be an RFC 3339 date-time such as 2026-01-02T03:04:05Z")
        }
    }
}
