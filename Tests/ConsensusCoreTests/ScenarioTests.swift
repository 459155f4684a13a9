import ConsensusSimulation
import Testing

/// The seed's multi-validator genesis tests (5-11 of 000_990b0d8d88624a21.txt)
/// and the PBFT fault cases, run in-process on the simulated clock: the same
/// code as `consensusd simulate --scenario NAME` (the long ones run only
/// there, in release builds, from `make test`).
@Suite struct ScenarioTests {
    @Test("scenario passes", arguments: Scenarios.names.filter { !Scenarios.long.contains($0) })
    func scenario(name: String) throws {
        let outcome = try #require(Scenarios.run(name))
        #expect(outcome.passed, "\(outcome.summary)")
    }
}
