import ConsensusCore
import Foundation
import Synchronization
import Testing
import Wire

extension ClusterSuites {
    /// The services a validator offers persisters and gateways on the Wire.
    @Suite(.serialized) struct ClientServiceTests {
        /// Collects what a validator sends a client link.
        final class Collector: LinkHandler {
            let blocks = Mutex<[ExecutedBlock]>([])
            let replies = Mutex<[StatusReply]>([])
            func linkEstablished(_ link: Link) {}
            func link(_ link: Link, received message: WireMessage) {
                switch message {
                case let .service(.blockStream(items)): blocks.withLock { $0 += items }
                case let .service(.statusReply(reply)): replies.withLock { $0.append(reply) }
                default: break
                }
            }
            func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason) {}
        }

        @Test func aPersisterFollowsCertifiedBlocksFromHeightOneAndAGatewayGetsTheStatusDocument() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { (1...4).allSatisfy { cluster.get($0, "/genesis")?.0 == 200 } })
            _ = try cluster.load(rate: 50, seconds: 3)
            let target = cluster.height(1)
            #expect(target > 0)
            let collector = Collector()
            let options = LinkOptions(chainID: "cybermesh-test")
            let persister = try LinkDialer(
                host: "127.0.0.1", port: cluster.peerPorts[1]!, expectedPeer: PeerIdentity(role: .validator, nodeID: "1"),
                tls: cluster.pki.configuration(for: PeerIdentity(role: .persister, nodeID: "persister-1")), options: options,
                policy: LinkPolicy(allowedKinds: [.validator: [.blockStream]]), handler: collector)
            defer { persister.stop() }
            persister.send(.service(.subscribeBlocks(fromHeight: 1)))
            #expect(cluster.waitUntil(seconds: 30) { collector.blocks.withLock { $0.count } >= target })
            let blocks = collector.blocks.withLock { $0 }
            let set = try ValidatorSetFile.load(path: cluster.setFilePath).validatorSet(quorumOverride: nil, crypto: SodiumConsensusCrypto())
            #expect(blocks.prefix(target).map(\.height) == Array(1...UInt64(target)))
            for (index, block) in blocks.enumerated() {
                #expect(block.committed.isValid(in: set, crypto: SodiumConsensusCrypto()), "block \(block.height)'s commit certificate")
                if index > 0 { #expect(block.committed.block.previousHash == blocks[index - 1].committed.blockHash) }
                #expect(block.rejections.count == block.committed.block.transactions.count)
            }

            let gateway = try LinkDialer(
                host: "127.0.0.1", port: cluster.peerPorts[2]!, expectedPeer: PeerIdentity(role: .validator, nodeID: "2"),
                tls: cluster.pki.configuration(for: PeerIdentity(role: .gateway, nodeID: "gateway-1")), options: options,
                policy: LinkPolicy(allowedKinds: [.validator: [.statusReply]]), handler: collector)
            defer { gateway.stop() }
            gateway.send(.service(.statusQuery(StatusQuery(id: 1, path: "/status"))))
            gateway.send(.service(.statusQuery(StatusQuery(id: 2, path: "/blocks/1"))))
            gateway.send(.service(.statusQuery(StatusQuery(id: 3, path: "/blocks/nope"))))
            #expect(cluster.waitUntil(seconds: 20) { collector.replies.withLock { $0.count } == 3 })
            let replies = Dictionary(uniqueKeysWithValues: collector.replies.withLock { $0 }.map { ($0.id, $0) })
            let status = try #require(replies[1])
            let block = try #require(replies[2])
            let bad = try #require(replies[3])
            let statusText = String(decoding: status.json, as: UTF8.self)
            let blockText = String(decoding: block.json, as: UTF8.self)
            #expect(status.httpStatus == 200)
            #expect(statusText.contains("\"node_id\":2"))
            #expect(block.httpStatus == 200)
            #expect(blockText.contains("\"hash\":\"\(blocks[0].committed.blockHash.hex)\""))
            #expect(bad.httpStatus == 400)
        }
    }
}
