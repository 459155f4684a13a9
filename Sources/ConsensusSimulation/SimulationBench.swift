import ConsensusCore

/// `consensusd simulate --bench`: figures printed, never asserted.
public enum SimulationBench {
    public static func run() {
        print("simulate --bench: not measured yet")
    }
}
