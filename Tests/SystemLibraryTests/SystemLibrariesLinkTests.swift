import CLibPQ
import COpenSSL
import CProtobufC
import CRdKafka
import CSodium
import Testing

/// Each C library's headers are found and its library links. A stale module
/// cache can hide a missing pkg-config name (NOTES.md), so this runs in CI on
/// a fresh clone.
@Suite struct SystemLibrariesLinkTests {
    @Test func librdkafkaReportsAVersionOfAtLeastTwo() {
        #expect(rd_kafka_version() >= 0x0200_0000)
    }

    @Test func libpqReportsAVersionOfAtLeastFifteen() {
        #expect(PQlibVersion() >= 150_000)
    }

    @Test func libsodiumInitialises() {
        #expect(sodium_init() >= 0)
    }

    @Test func opensslIsVersionThree() {
        #expect(OpenSSL_version_num() >= 0x3000_0000)
    }

    @Test func protobufCReportsItsVersion() {
        #expect(protobuf_c_version_number() >= 1_004_000)
    }
}
