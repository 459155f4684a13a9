import ConsensusCore
import Foundation
import Logging
import Metrics
import Synchronization
import Wire

/// Drives one `Replica` with the real clock, disk and network, on its own
/// thread (ARCHITECTURE §5): the core stays pure, this is the thin shell
/// that feeds it events and performs its actions.
///
/// Each turn drains the inbox, steps the core once per input (and once
/// for timers), then performs what the steps asked in the order the core
/// guarantees: persist everything and store committed blocks, `fsync` once
/// (group commit), and only then send messages, answers and commit
/// notices. A vote therefore never leaves the process before it is durable.
final class ConsensusDriver: Sendable {
    enum Input: Sendable {
        case message(ConsensusMessage, from: ValidatorID)
        case submit(SubmissionBatch)
        case subscribe(Subscription)
        case unsubscribe(ObjectIdentifier)
        case block(UInt64, reply: @Sendable (ExecutedBlock?) -> Void)
    }

    let status: PublishedStatus
    /// Bounded and fair per validator peer (`FairInbox`).
    private let inbox = Mutex(FairInbox<Input>(peerCapacity: 8_192, perTurn: 512))
    private let inboxDropped = Counter(label: "cybermesh_consensus_inbox_dropped_total")
    private let wake = NSCondition()
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let state: Mutex<DriverState>
    let clock: DaemonClock

    init(replica: Replica, storage: ValidatorStorage, index: CommittedTransactionIndex, network: any PeerSender, settings: DaemonSettings, logger: Logger) {
        let initial = NodeStatus(
            nodeID: settings.nodeID, chainID: settings.chainID, leader: replica.leader, quorum: replica.validatorSet.quorum.size)
        status = PublishedStatus(initial)
        clock = settings.clock
        state = Mutex(DriverState(
            replica: replica, storage: storage, index: index, network: network, logger: logger, status: status,
            submissionTampering: settings.submissionTampering, clock: settings.clock))
    }

    /// Starts the core's thread.
    func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "consensus-driver"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Hands work to the core's thread; returns at once.
    ///
    /// A peer's message that finds its queue full is dropped and counted
    /// (`cybermesh_consensus_inbox_dropped_total`): the protocol retransmits
    /// what matters, and memory does not follow a flooding peer.
    func enqueue(_ input: Input) {
        let queued = inbox.withLock { inbox -> Bool in
            if case let .message(_, sender) = input { return inbox.push(input, from: sender) }
            inbox.pushLocal(input)
            return true
        }
        guard queued else {
            inboxDropped.increment()
            return
        }
        wake.lock()
        wake.signal()
        wake.unlock()
    }

    /// Stops after the current turn and waits for the thread.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.lock()
        wake.signal()
        wake.unlock()
        finished.wait()
    }

    private func run() {
        state.withLock { $0.start(nowMs: clock.nowMs()) }
        while !stopping.load(ordering: .acquiring) {
            let deadline = state.withLock { $0.nextWakeMs }
            wake.lock()
            while inbox.withLock({ $0.isEmpty }), !stopping.load(ordering: .acquiring) {
                let wait = deadline - clock.nowMs()
                if wait <= 0 { break }
                _ = wake.wait(until: Date(timeIntervalSinceNow: Double(wait) / 1000))
            }
            wake.unlock()
            let inputs = inbox.withLock { $0.takeTurn() }
            state.withLock { $0.turn(inputs, nowMs: clock.nowMs()) }
        }
        state.withLock { $0.shutdown() }
    }
}

/// Sends consensus messages to other validators (the peer network).
protocol PeerSender: Sendable {
    func broadcast(_ message: ConsensusMessage)
    func send(_ message: ConsensusMessage, to peer: ValidatorID)
    func peerStates(nowMs: Int64) -> [NodeStatus.Peer]
}
