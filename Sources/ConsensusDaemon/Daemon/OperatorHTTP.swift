import Hummingbird
import Logging
import Wire

/// consensusd's read-only operator port (CONTRACT §7): plain HTTP on
/// 127.0.0.1 by default, for operators and probes. Every route answers from
/// the driver's published status; nothing here can change the validator.
enum OperatorHTTP {
    static func application(
        queries: OperatorQueries, metrics: MetricsExporter, host: String, port: UInt16, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in json(200, Array(#"{"status":"ok"}"#.utf8)) }
        router.get("/ready") { _, _ in
            let reasons = queries.notReady()
            guard !reasons.isEmpty else { return json(200, Array(#"{"status":"ready"}"#.utf8)) }
            return json(503, DocumentJSON.encode(["not_ready": reasons]))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        for path in ["/status", "/genesis", "/validators", "/blocks/{height}"] {
            router.get(RouterPath(path)) { request, _ in
                await answer(queries, path: request.uri.path)
            }
        }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: Int(port)), serverName: "consensusd"),
            onServerRunning: { channel in onBound(channel.localAddress?.port ?? Int(port)) },
            logger: logger)
    }

    private static func answer(_ queries: OperatorQueries, path: String) async -> Response {
        let (status, body) = await withCheckedContinuation { continuation in
            queries.answer(path: path) { status, body in continuation.resume(returning: (status, body)) }
        }
        return json(Int(status), body)
    }

    static func json(_ status: Int, _ body: [UInt8]) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
