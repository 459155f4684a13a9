import ConsensusCore
import Foundation

/// `consensusd simulate --bench`: the core's own throughput with batching,
/// on the simulated network with cheap stand-in crypto, and the simulated
/// submit-to-commit latency. Printed, never asserted.
public enum SimulationBench {
    public static func run() {
        for validators in [4, 7] {
            for rate in [1_000.0, 5_000.0, 20_000.0] {
                measure(validators: validators, rate: rate)
            }
        }
    }

    static func measure(validators: Int, rate: Double) {
        var config = SimulationConfig(seed: 1, validators: validators)
        config.faults = false
        config.transactionsPerSecond = rate
        config.pbft.maximumBlockTransactions = 500
        config.safetySteps = 1_000
        config.livenessSteps = 3_000
        guard let simulation = try? Simulation(config: config) else { return }
        let started = Date()
        let result = simulation.run()
        let wall = Date().timeIntervalSince(started)
        let latencies = simulation.commitLatenciesMs.sorted()
        func percentile(_ p: Double) -> Int64 { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let simulatedSeconds = Double(result.simulatedMs) / 1000
        print(String(
            format: "validators=%d offered_tx_per_sim_s=%.0f committed_tx=%d blocks=%d simulated_s=%.1f committed_tx_per_sim_s=%.0f wall_s=%.2f core_tx_per_wall_s=%.0f p50_commit_ms=%lld p99_commit_ms=%lld %@",
            validators, rate, result.committedTransactions, result.committedHeight, simulatedSeconds,
            Double(result.committedTransactions) / max(simulatedSeconds, 0.001), wall,
            Double(result.committedTransactions) / max(wall, 0.001), percentile(0.5), percentile(0.99),
            result.passed ? "ok" : "FAILED"))
    }
}
