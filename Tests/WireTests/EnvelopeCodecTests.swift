import Testing
@testable import Wire

@Suite struct EnvelopeCodecTests {
    static let messages: [WireMessage] = [
        .hello(Hello(role: .validator, nodeID: "3", chainID: "cybermesh-dev")),
        .hello(Hello(protocolVersion: 7, role: .gateway, nodeID: "gw-1", chainID: "")),
        .heartbeat(Heartbeat(sequence: 0, sentMs: 0)),
        .heartbeat(Heartbeat(sequence: .max, sentMs: -5)),
        .error(WireErrorMessage(code: "bad_hello", message: "näh ✓")),
        .echo(Echo(id: 1, payload: [])),
        .echo(Echo(id: 2, payload: Array(repeating: 0xAB, count: 70_000), reply: true)),
    ]

    @Test("every message kind survives encode and decode", arguments: messages)
    func roundTrip(message: WireMessage) throws {
        #expect(try EnvelopeCodec.decode(EnvelopeCodec.encode(message)) == message)
    }

    @Test func everyLinkMessageKindIsCoveredByTheRoundTrip() {
        // Consensus and service kinds have their own round trips
        // (ConsensusCodecTests, ServiceCodecTests).
        #expect(Set(Self.messages.map(\.kind)) == Set(MessageKind.allCases).subtracting(MessageKind.consensus).subtracting(MessageKind.services))
    }

    @Test func garbageIsNotAnEnvelope() {
        #expect(throws: EnvelopeError.notProtobuf) { try EnvelopeCodec.decode([0xFF, 0xFF, 0xFF]) }
    }

    @Test func anotherEnvelopeVersionIsRefused() {
        // field 1 (version), varint 2
        #expect(throws: EnvelopeError.unsupportedVersion(2)) { try EnvelopeCodec.decode([0x08, 0x02]) }
    }

    @Test func anEnvelopeWithoutABodyIsRefused() {
        #expect(throws: EnvelopeError.missingBody) { try EnvelopeCodec.decode([0x08, 0x01]) }
    }

    @Test func aBodyKindFromANewerPeerIsRefusedAsUnknown() {
        // version 1, then field 99 (length-delimited, empty): unknown to this build.
        #expect(throws: EnvelopeError.missingBody) { try EnvelopeCodec.decode([0x08, 0x01, 0x9A, 0x06, 0x00]) }
    }

    @Test func aHelloWithAnUnspecifiedRoleIsRefused() {
        // version 1, hello { protocol_version 1 } (role 0 = unspecified)
        #expect(throws: EnvelopeError.invalidField(kind: .hello, field: "role")) {
            try EnvelopeCodec.decode([0x08, 0x01, 0x52, 0x02, 0x08, 0x01])
        }
    }

    @Test func aHelloWithANodeIdThatIsNotUTF8IsRefused() {
        // hello { role 1, node_id "\xFF" }
        #expect(throws: EnvelopeError.invalidField(kind: .hello, field: "node_id")) {
            try EnvelopeCodec.decode([0x08, 0x01, 0x52, 0x05, 0x10, 0x01, 0x1A, 0x01, 0xFF])
        }
    }
}

extension WireMessage: CustomTestStringConvertible {
    public var testDescription: String { kind.rawValue }
}
