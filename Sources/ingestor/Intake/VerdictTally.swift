import ConsensusCore
import Events
import Foundation

/// What the validators said about one event, and what f+1 of them decide
/// (ARCHITECTURE §7). Each validator counts once, with its latest answer; a
/// commit notice or an `already_committed` answer counts for good. No
/// single validator's word decides anything: a Byzantine one can neither
/// settle an event alone nor keep one from settling.
struct VerdictTally {
    /// What the ingestor does with the event now.
    enum Decision: Equatable {
        /// f+1 validators hold it committed. `byAnswers` when their
        /// `already_committed` answers (not this ingestor's notices)
        /// decided: a replay, or an event committed while it was away.
        case committed(byAnswers: Bool)
        /// f+1 refused it for one contract reason.
        case deadLetter(RejectionReason, detail: String)
        /// f+1 refused it as a reuse of a committed nonce with other content:
        /// a replay, counted and skipped.
        case nonceReplay
        /// f+1 answered `full` or `rate_limited`: pause and retry later.
        case backOff
        /// Nothing decided yet.
        case wait
    }

    private(set) var noticedBy: Set<ValidatorID> = []
    private(set) var alreadyCommittedBy: Set<ValidatorID> = []
    private(set) var answers: [ValidatorID: Admission] = [:]

    mutating func noticed(by validator: ValidatorID) {
        noticedBy.insert(validator)
    }

    mutating func answered(_ admission: Admission, by validator: ValidatorID) {
        if admission == .alreadyCommitted {
            alreadyCommittedBy.insert(validator)
        } else {
            answers[validator] = admission
        }
    }

    /// Validators that have not reported the event committed.
    func undecided(among validators: [ValidatorID]) -> [ValidatorID] {
        validators.filter { !noticedBy.contains($0) && !alreadyCommittedBy.contains($0) }
    }

    /// Forgets the back-off answers before a resubmission asks again.
    mutating func forgetBackOffs() {
        answers = answers.filter { $0.value != .full && $0.value != .rateLimited }
    }

    func decision(quorum: Int) -> Decision {
        let committed = noticedBy.union(alreadyCommittedBy)
        if committed.count >= quorum { return .committed(byAnswers: noticedBy.count < quorum) }
        var refusals: [String: (count: Int, detail: String)] = [:]
        var backOffs = 0
        for (validator, admission) in answers where !committed.contains(validator) {
            switch admission {
            case let .rejected(text):
                let code = Self.code(of: text)
                refusals[code, default: (0, text)].count += 1
            case .full, .rateLimited:
                backOffs += 1
            case .admitted, .duplicate, .alreadyCommitted:
                break
            }
        }
        for (code, refusal) in refusals.sorted(by: { $0.key < $1.key }) where refusal.count >= quorum {
            if code == "duplicate_nonce" { return .nonceReplay }
            if let reason = RejectionReason(rawValue: code) { return .deadLetter(reason, detail: "\(quorum)+ validators refused it: \(refusal.detail)") }
            return .deadLetter(.malformed, detail: "\(quorum)+ validators refused it with \(code): \(refusal.detail)")
        }
        return backOffs >= quorum ? .backOff : .wait
    }

    /// The code of a validator's refusal text, `code: detail`.
    static func code(of text: String) -> String {
        String(text.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces)
    }
}
