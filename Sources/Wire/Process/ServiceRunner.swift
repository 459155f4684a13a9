import Logging
import ServiceLifecycle

/// Runs a process's long-lived services in one ServiceGroup: started in the
/// order given, shut down in reverse on SIGTERM or SIGINT (graceful: each
/// service finishes what it is doing), and the whole group stops if any
/// service ends or fails.
public enum ServiceRunner {
    public static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map {
                    ServiceGroupConfiguration.ServiceConfiguration(
                        service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger))
        try await group.run()
    }
}
