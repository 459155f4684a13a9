import ConsensusCore
import Testing

@Suite struct JSONParserTests {
    @Test func objectsKeepMemberOrderAndNumberLiterals() throws {
        let value = try JSONParser.parse(Array(#"{"b":1,"a":[true,null,"x"],"c":-0.5e3}"#.utf8))
        guard case let .object(members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a", "c"])
        #expect(value["c"] == .number(try #require(Self.number("-0.5e3"))))
    }

    static func number(_ literal: String) -> JSONNumber? {
        if case let .number(n) = try? JSONParser.parse(Array(literal.utf8)) { return n }
        return nil
    }

    @Test func integersAreToldApartFromFractions() throws {
        #expect(Self.number("5")?.int64Value == 5)
        #expect(Self.number("5.0")?.int64Value == nil)
        #expect(Self.number("5e0")?.isInteger == false)
        #expect(Self.number("99999999999999999999")?.int64Value == nil)
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        #expect(try JSONParser.parse(Array(#""a\"\\\/\n\u00e9\ud83d\ude00""#.utf8)) == .string("a\"\\/\né😀"))
    }

    @Test("strictly invalid documents are refused", arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
        "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "{\"a\":1,\"a\":2}", "{a:1}", "[1 2]", "1 2",
        "\"tab\there\"", "NaN", "Infinity",
    ])
    func invalidDocuments(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func nestingBeyondTheLimitIsRefusedWithoutExhaustingTheStack() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = Array(repeating: UInt8(ascii: "["), count: 64) + Array(repeating: UInt8(ascii: "]"), count: 64)
        #expect((try? JSONParser.parse(ok)) != nil)
    }
}

@Suite struct PayloadSchemaTests {
    @Test func aPolicyVersionMustBeAPositiveInteger() {
        for bad in ["0", "-1", "1.5", "\"2\"", "null"] {
            let payload = Array(#"{"id":"p","action":"a","version":\#(bad)}"#.utf8)
            #expect(throws: PayloadError.self, "version \(bad)") { try PayloadSchema.validate(payload, domain: .policy) }
        }
        #expect((try? PayloadSchema.validate(Array(#"{"id":"p","action":"a","version":9}"#.utf8), domain: .policy))?.integerField("version") == 9)
    }

    @Test func anOversizePayloadIsRefusedBeforeParsing() {
        let payload = Array(repeating: UInt8(ascii: " "), count: 65_537)
        #expect(throws: PayloadError.self) { try PayloadSchema.validate(payload, domain: .anomaly) }
    }

    @Test func theErrorNamesTheField() {
        do {
            _ = try PayloadSchema.validate(Array(#"{"id":"a","type":"t","severity":3,"confidence":"high"}"#.utf8), domain: .anomaly)
            Issue.record("accepted a string confidence")
        } catch {
            #expect(error.field == "confidence")
        }
    }

    @Test("RFC 3339 date-times", arguments: [
        ("2026-01-02T03:04:05Z", true), ("2026-01-02t03:04:05.123456z", true), ("2026-01-02T03:04:05+05:30", true),
        ("2026-01-02 03:04:05-00:00", true), ("2026-13-02T03:04:05Z", false), ("2026-01-02T24:00:00Z", false),
        ("2026-01-02T03:04:05", false), ("2026-01-02T03:04:05.Z", false), ("2026-1-2T03:04:05Z", false),
    ])
    func detectedAt(text: String, valid: Bool) {
        let payload = Array(#"{"id":"a","type":"t","severity":3,"confidence":0.1,"detected_at":"\#(text)"}"#.utf8)
        #expect(((try? PayloadSchema.validate(payload, domain: .anomaly)) != nil) == valid)
    }
}
