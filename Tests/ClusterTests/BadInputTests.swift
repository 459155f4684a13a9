import ConsensusCore
import Foundation
import Glibc
import Synchronization
import Testing
import Wire

extension ClusterSuites {
    /// What a validator does with bad input from outside: garbage on its peer
    /// port, peers with the wrong certificate or role, and a bad validator set
    /// file. Clear errors, nothing else disturbed.
    @Suite(.serialized) struct BadInputTests {
        @Test func garbageAndWrongPeersOnThePeerPortAreRefusedWhileTheClusterKeepsCommitting() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { (1...4).allSatisfy { cluster.get($0, "/genesis")?.0 == 200 } })
            let port = cluster.peerPorts[1]!
            // Plain garbage (no TLS at all).
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = port.bigEndian
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            #expect(connected == 0)
            let garbage = [UInt8](repeating: 0xAB, count: 4096)
            _ = garbage.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            // A foreign CA's validator certificate, and a gateway sending a consensus message.
            let foreign = DevPKI(directory: cluster.directory + "/foreign-pki")
            try foreign.generate(identities: [PeerIdentity(role: .validator, nodeID: "2")])
            let refused = RefusalRecorder()
            var options = LinkOptions(chainID: "cybermesh-test")
            options.reconnectBaseMs = 50
            let impostor = try LinkDialer(
                host: "127.0.0.1", port: port, expectedPeer: PeerIdentity(role: .validator, nodeID: "1"),
                tls: foreign.configuration(for: PeerIdentity(role: .validator, nodeID: "2")), options: options,
                policy: LinkPolicy(allowedKinds: [.validator: []]), handler: refused)
            let gateway = try LinkDialer(
                host: "127.0.0.1", port: port, expectedPeer: PeerIdentity(role: .validator, nodeID: "1"),
                tls: cluster.pki.configuration(for: PeerIdentity(role: .gateway, nodeID: "gateway-1")), options: options,
                policy: LinkPolicy(allowedKinds: [.validator: [.statusReply]]), handler: refused)
            gateway.send(.consensus(.blockRequest(fromHeight: 1)))
            gateway.send(.service(.statusQuery(StatusQuery(id: 7, path: "/status"))))
            #expect(cluster.waitUntil(seconds: 20) { refused.closes >= 2 && !impostor.isConnected })
            impostor.stop()
            gateway.stop()
            let result = try cluster.load(rate: 40, seconds: 3)
            #expect(result.committed == result.submitted, "the cluster must not be disturbed:\n\(result.output)")
            #expect(cluster.running.count == 4)
        }

        @Test func aValidatorSetFileWithADuplicateIDOrABadKeyStopsStartupWithAnErrorNamingIt() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            let good = try String(contentsOfFile: cluster.setFilePath, encoding: .utf8)
            let cases: [(String, String)] = [
                (good.replacingOccurrences(of: "\"id\": 2,", with: "\"id\": 1,"), "validator id 1 appears twice"),
                (good.replacingOccurrences(of: "\"public_key\": \"", with: "\"public_key\": \"zz"), "public_key must be 64 hex characters"),
                ("{not json", "not valid JSON"),
            ]
            for (contents, expected) in cases {
                try contents.write(toFile: cluster.setFilePath, atomically: true, encoding: .utf8)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: TestCluster.binaries + "/consensusd")
                process.arguments = ["run"]
                process.environment = cluster.environment(1)
                let pipe = Pipe()
                process.standardError = pipe
                process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
                try process.run()
                let stderr = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus == 2)
                #expect(stderr.contains(expected), "stderr: \(stderr)")
            }
        }
    }

    /// Counts links closed with a reason (refusals) on test dialers.
    final class RefusalRecorder: LinkHandler {
        private let count = Mutex(0)
        var closes: Int { count.withLock { $0 } }
        func linkEstablished(_ link: Link) {}
        func link(_ link: Link, received message: WireMessage) {}
        func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason) { count.withLock { $0 += 1 } }
    }
}
