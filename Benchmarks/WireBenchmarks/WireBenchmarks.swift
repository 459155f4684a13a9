// Micro-benchmarks of the Wire (`make bench-micro`). Figures, with the
// machine, go to docs/benchmarks.md; nothing here asserts a speed.
import Benchmark
import ConsensusCore
import Dispatch
import Events
import Foundation
import Wire

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock],
        warmupIterations: 10,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000)

    let key = try! Ed25519.SigningKey(seed: Array(repeating: 9, count: 32))
    let message = Array(repeating: UInt8(0x5A), count: 200)
    let signature = key.sign(message)

    Benchmark("Ed25519 verify (200-byte message)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Ed25519.verify(signature: signature, message: message, publicKey: key.publicKey))
        }
    }

    Benchmark("Ed25519 sign (200-byte message)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(key.sign(message)) }
    }

    let payload = Array(#"{"id":"a-1","type":"port_scan","severity":7,"confidence":0.93,"source":"10.0.0.5","target":"db-1"}"#.utf8)
    let record = SignedEvent.make(
        domain: .anomaly, timestampMs: 1_767_225_600_000, producerID: "detector-1",
        nonce: Array(repeating: 1, count: 16), payload: payload, signingKey: key
    ).encoded()
    let validator = EventValidator(trustStore: try! TrustStore(producers: [
        .init(id: "detector-1", publicKey: key.publicKey, domains: Set(EventDomain.allCases)),
    ]))

    Benchmark("Event validation (decode, hash, verify, payload)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(validator.validate(record: record, topicDomain: .anomaly, nowMs: 1_767_225_600_000))
        }
    }

    let echo = WireMessage.echo(Echo(id: 1, payload: Array(repeating: 7, count: 200)))
    Benchmark("Frame encode+decode (Echo, 200-byte payload)") { benchmark in
        var decoder = FrameDecoder()
        for _ in benchmark.scaledIterations {
            try decoder.feed(FrameCodec.frame(EnvelopeCodec.encode(echo)))
            if let frame = try decoder.nextFrame() { blackHole(try EnvelopeCodec.decode(frame)) }
        }
    }

    Benchmark("TLS round trip (Echo ping-pong over loopback)") { benchmark in
        let loopback = try TLSLoopback()
        defer { loopback.stop() }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            loopback.roundTrip(id: UInt64(index))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("TLS bulk transfer (MiB/s: one iteration = 1 MiB in 64 KiB frames)") { benchmark in
        let loopback = try TLSLoopback()
        defer { loopback.stop() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            loopback.transfer(frames: 16, payloadBytes: 64 * 1024 - 64)
        }
        benchmark.stopMeasurement()
    }

    Benchmark("TLS small frames (frames/s: one iteration = 1,000 coalesced 200-byte frames)") { benchmark in
        let loopback = try TLSLoopback()
        defer { loopback.stop() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            loopback.transfer(frames: 1_000, payloadBytes: 200)
        }
        benchmark.stopMeasurement()
    }
}
