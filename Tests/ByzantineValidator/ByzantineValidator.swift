import ArgumentParser
import ConsensusCore
import ConsensusDaemon
import Events
import Foundation
import Glibc
import Synchronization
import Wire

/// A test-only validator: `consensusd run` with a `Misbehavior`, for the
/// multi-process tests (Tests/ClusterTests). Built by `swift build`
/// beside the test binaries, never by `make run`, never in an image; the
/// production `consensusd` has no way to misbehave.
///
/// Settings come from the same flags' environment variables as
/// `consensusd run`; the misbehaviour from these flags.
@main
struct ByzantineValidator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "byzantine-validator", abstract: "TEST ONLY: a validator that misbehaves as told (settings from the environment).")

    @Option(name: .long, parsing: .upToNextOption, help: "extreme-timestamp, payload-swap (proposals it leads, validly signed).")
    var misbehave: [Attack] = []
    @Flag(name: .long, help: "Answer every submission \"admitted\" and drop it.") var dropSubmissions = false
    @Flag(name: .long, help: "With --drop-submissions: also send forged commit notices for what it dropped.") var falseNotices = false
    @Option(name: .long, help: "Answer \"full\" to every submission for this many seconds after start.") var answerFullFor: Double?
    @Option(name: .long, help: "Shift this validator's clock by this many milliseconds.") var clockOffsetMs: Int64 = 0
    @Option(name: .long, help: "Fail every write beyond this file offset (a disk that fails mid-run).") var failWritesBeyond: UInt64?

    func run() async throws {
        if let failWritesBeyond {
            // RLIMIT_FSIZE makes a write past the limit fail with EFBIG
            // (SIGXFSZ, which would kill the process, is ignored): the
            // validator's next append or sync fails as on a broken disk.
            signal(SIGXFSZ, SIG_IGN)
            var limit = rlimit(rlim_cur: rlim_t(failWritesBeyond), rlim_max: rlim_t(failWritesBeyond))
            guard setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0 else { throw ExitCode(2) }
        }
        let tampering: SubmissionTampering
        if dropSubmissions {
            tampering = .drop(falseNotices: falseNotices)
        } else if let answerFullFor {
            tampering = .answerFull(untilMs: WallClock.nowMs() + clockOffsetMs + Int64(answerFullFor * 1000))
        } else {
            tampering = .none
        }
        let behavior = ByzantineBehavior(attacks: Set(misbehave), submissionTampering: tampering, clockOffsetMs: clockOffsetMs)
        do {
            try await ValidatorDaemon.run(options: DaemonOptions(), logLevel: nil, process: "byzantine-validator", misbehavior: behavior)
        } catch let exit as DaemonExit {
            throw ExitCode(exit.code)
        }
    }
}

/// The attacks on proposals, each validly signed with this validator's key.
enum Attack: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Before each proposal it leads, the same block with a timestamp at
    /// Int64.max or Int64.min, and a heartbeat at the extremes.
    case extremeTimestamp = "extreme-timestamp"
    /// Each proposal with transactions goes to one peer as built and to the
    /// others with the first transaction's payload replaced, its id kept.
    case payloadSwap = "payload-swap"
}

/// What `ByzantineValidator` does instead of what the honest core asks.
/// Every attack it sends is written to standard error (the test reads the
/// log to know that the attack happened, not only that nothing broke).
final class ByzantineBehavior: Misbehavior {
    let attacks: Set<Attack>
    let submissionTampering: SubmissionTampering
    let clockOffsetMs: Int64
    private let crypto = SodiumConsensusCrypto()
    private let sent = Atomic<Int>(0)

    init(attacks: Set<Attack>, submissionTampering: SubmissionTampering, clockOffsetMs: Int64) {
        self.attacks = attacks
        self.submissionTampering = submissionTampering
        self.clockOffsetMs = clockOffsetMs
    }

    func adjust(_ settings: inout DaemonSettings) {
        settings.submissionTampering = submissionTampering
        settings.clock = DaemonClock(offsetMs: clockOffsetMs)
    }

    func outgoing(_ message: ConsensusMessage, to peers: [ValidatorID], settings: DaemonSettings) -> [(ConsensusMessage, [ValidatorID])] {
        let signer = SodiumMessageSigner(key: settings.signingKey)
        var out: [(ConsensusMessage, [ValidatorID])] = []
        let count = sent.add(1, ordering: .relaxed).newValue
        if attacks.contains(.extremeTimestamp) {
            let time = count % 2 == 0 ? Int64.max : Int64.min
            switch message {
            case let .proposal(proposal):
                let block = proposal.block
                let extreme = Block.make(
                    height: block.height, previousHash: block.previousHash, proposer: settings.nodeID, timestampMs: time,
                    transactions: block.transactions, results: block.results, crypto: crypto)
                out.append((.proposal(Proposal.make(view: proposal.view, block: extreme, crypto: crypto, signer: signer)), peers))
                report("extreme-timestamp proposal view=\(proposal.view) height=\(block.height) timestamp_ms=\(time)")
            case let .heartbeat(heartbeat):
                out.append((.heartbeat(LeaderHeartbeat.make(
                    view: heartbeat.view, leader: settings.nodeID, committedHeight: UInt64.max, sentAtMs: time, signer: signer)), peers))
            default:
                break
            }
        }
        if attacks.contains(.payloadSwap), case let .proposal(proposal) = message, peers.count > 1,
           let swapped = swappedPayload(proposal, signer: signer) {
            out.append((message, Array(peers.prefix(1))))
            out.append((.proposal(swapped), Array(peers.dropFirst())))
            report("payload-swap proposal view=\(proposal.view) height=\(proposal.block.height) honest_to=\(peers[0]) swapped_to=\(peers.dropFirst().map { "\($0)" }.joined(separator: ","))")
            return out
        }
        out.append((message, peers))
        return out
    }

    /// The proposal with its first transaction's payload replaced by another
    /// valid-looking event payload under the same id, re-signed by this
    /// validator (the block hash then covers the swapped bytes).
    private func swappedPayload(_ proposal: Proposal, signer: SodiumMessageSigner) -> Proposal? {
        let block = proposal.block
        guard let first = block.transactions.first, var event = try? SignedEvent.decode(first.payload) else { return nil }
        event.payload = Array(#"{"swapped_by":"byzantine-validator","severity":"low"}"#.utf8)
        var transactions = block.transactions
        transactions[0] = Transaction(id: first.id, payload: event.encoded())
        let forged = Block.make(
            height: block.height, previousHash: block.previousHash, proposer: block.proposer, timestampMs: block.timestampMs,
            transactions: transactions, results: block.results, crypto: crypto)
        return Proposal.make(view: proposal.view, block: forged, crypto: crypto, signer: signer)
    }

    private func report(_ line: String) {
        FileHandle.standardError.write(Data("byzantine-validator sent: \(line)\n".utf8))
    }
}
