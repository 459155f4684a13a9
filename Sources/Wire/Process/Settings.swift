import Foundation

/// Every setting of every process is an environment variable (the seed's
/// names where they fit, e.g. NODE_ID) and also a command-line flag; the
/// flag wins. `Settings` resolves and validates them at startup, and every
/// error names the setting and says what is expected, so an operator can fix
/// a deployment from the message alone.
public struct Settings: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The raw text of a setting: the flag if given, else the variable.
    public func text(_ variable: String, flag: String?) -> String? {
        if let flag { return flag }
        if let value = environment[variable], !value.isEmpty { return value }
        return nil
    }

    /// A required setting, parsed by `parse` (nil means invalid).
    public func required<Value>(
        _ variable: String, flag: String?, flagName: String, expected: String, parse: (String) -> Value?
    ) throws(ConfigurationError) -> Value {
        guard let text = text(variable, flag: flag) else {
            throw .missing(variable: variable, flag: flagName, expected: expected)
        }
        guard let value = parse(text) else {
            throw .invalid(variable: variable, flag: flagName, value: text, expected: expected)
        }
        return value
    }

    /// An optional setting with a default, parsed by `parse`.
    public func optional<Value>(
        _ variable: String, flag: String?, flagName: String, expected: String, default defaultValue: Value,
        parse: (String) -> Value?
    ) throws(ConfigurationError) -> Value {
        guard let text = text(variable, flag: flag) else { return defaultValue }
        guard let value = parse(text) else {
            throw .invalid(variable: variable, flag: flagName, value: text, expected: expected)
        }
        return value
    }

    /// Parses an integer within `range`.
    public static func integer(in range: ClosedRange<Int>) -> (String) -> Int? {
        { text in Int(text.trimmingCharacters(in: .whitespaces)).flatMap { range.contains($0) ? $0 : nil } }
    }

    /// Parses a duration into milliseconds: `250ms`, `10s`, `15m`, `1h`, or
    /// a bare number of milliseconds.
    public static func durationMs(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let value = Int64(trimmed.dropLast(suffix.count)), value >= 0, value <= Int64.max / scale else { return nil }
            return value * scale
        }
        guard let value = Int64(trimmed), value >= 0 else { return nil }
        return value
    }

    /// Parses `host:port` with a numeric port.
    public static func hostPort(_ text: String) -> (host: String, port: UInt16)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        return (host, port)
    }

}

/// A setting that is missing or invalid at startup.
public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(variable: String, flag: String, expected: String)
    case invalid(variable: String, flag: String, value: String, expected: String)
    /// A combination of settings that cannot work together.
    case inconsistent(String)

    public var description: String {
        switch self {
        case let .missing(variable, flag, expected):
            return "\(variable) (or \(flag)) is required: \(expected)"
        case let .invalid(variable, flag, value, expected):
            return "\(variable) (or \(flag)) is \"\(value)\": expected \(expected)"
        case let .inconsistent(detail):
            return "inconsistent settings: \(detail)"
        }
    }
}
