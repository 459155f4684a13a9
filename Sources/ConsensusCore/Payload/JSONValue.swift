/// A JSON value as the event payload rules and the state machine see it.
///
/// Numbers keep their literal text so that nothing depends on a platform's
/// floating-point parsing: `severity: 5` and `severity: 5.0` are told apart
/// exactly, the same way on every validator.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    /// Members in document order; keys are unique (the parser rejects duplicates).
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The member named `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// A JSON number literal, validated by the parser.
public struct JSONNumber: Equatable, Sendable, CustomStringConvertible {
    /// The literal exactly as written.
    public let literal: String

    init(literal: String) { self.literal = literal }

    /// True when the literal has no fraction and no exponent.
    public var isInteger: Bool { !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }

    /// The value as an integer, when it is an integer literal that fits Int64.
    public var int64Value: Int64? { isInteger ? Int64(literal) : nil }

    /// The value as a double (for range checks such as confidence 0-1).
    public var doubleValue: Double? { Double(literal) }

    public var description: String { literal }
}
