import ConsensusCore

/// The named scenarios of `consensusd simulate --scenario`.
public struct ScenarioOutcome: Sendable {
    public var passed: Bool
    public var summary: String
}

public enum Scenarios {
    static let all: [(name: String, run: @Sendable () -> ScenarioOutcome)] = []

    public static var names: [String] { all.map(\.name) }

    public static func run(_ name: String) -> ScenarioOutcome? {
        all.first { $0.name == name }?.run()
    }
}
