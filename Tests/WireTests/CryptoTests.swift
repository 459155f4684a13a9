import Testing
import Wire

@Suite struct CryptoTests {
    @Test func sha256OfAbcIsTheFIPSVector() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha256OfNothingIsTheKnownDigest() {
        #expect(SHA256.hash([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// RFC 8032 section 7.1, test 1: the empty message.
    @Test func ed25519MatchesRFC8032TestOne() throws {
        let seed = try #require(Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let key = try Ed25519.SigningKey(seed: seed)
        #expect(key.publicKey.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(key.sign([]).hex == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    }

    @Test func aSignatureVerifiesOnlyForItsMessageAndKey() {
        let key = Ed25519.SigningKey.generate()
        let other = Ed25519.SigningKey.generate()
        let message = Array("event".utf8)
        let signature = key.sign(message)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: key.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: Array("Event".utf8), publicKey: key.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: other.publicKey))
    }

    @Test func aSeedOfTheWrongLengthIsRefused() {
        #expect(throws: CryptoError.badLength(what: "Ed25519 seed", expected: 32, actual: 31)) {
            try Ed25519.SigningKey(seed: Array(repeating: 1, count: 31))
        }
    }

    @Test func anExportedSeedRecreatesTheSameKey() throws {
        let key = Ed25519.SigningKey.generate()
        #expect(try Ed25519.SigningKey(seed: key.exportSeed()).publicKey == key.publicKey)
    }

    @Test func constantTimeEqualComparesContentAndLength() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([1, 2], [1, 2, 3]))
        #expect(constantTimeEqual([], []))
    }

    @Test func hexRoundTripsAndRefusesNonHex() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xAB, 0xFF])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func fixedSizeTypesRefuseOtherLengths() {
        #expect(SHA256Digest(bytes: Array(repeating: 0, count: 31)) == nil)
        #expect(Ed25519.PublicKey(bytes: Array(repeating: 0, count: 33)) == nil)
        #expect(Ed25519.Signature(bytes: Array(repeating: 0, count: 63)) == nil)
    }
}
