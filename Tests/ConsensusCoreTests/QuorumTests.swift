import ConsensusCore
import Testing

@Suite struct QuorumTests {
    @Test("quorum is ceil((N+f+1)/2): 3 of 4, 4 of 5, 5 of 7, 7 of 10", arguments: [
        (4, 3), (5, 4), (6, 4), (7, 5), (10, 7), (1, 1),
    ])
    func quorumSizes(validators: Int, expected: Int) throws {
        #expect(try Quorum(validatorCount: validators).size == expected)
    }

    /// 5 validators need 4, not 3: two quorums of 3 out of 5 can share a single
    /// validator, and f = 1 of them may be Byzantine.
    @Test func fiveValidatorsNeedFourNotThree() throws {
        let quorum = try Quorum(validatorCount: 5)
        #expect(quorum.size == 4)
        #expect(quorum.faultTolerance == 1)
        #expect(2 * quorum.size - 5 >= quorum.faultTolerance + 1)
    }

    @Test func anOverrideBelowTheSafeMinimumIsRefusedNamingTheMinimum() {
        #expect(throws: QuorumError.belowSafeMinimum(requested: 3, safeMinimum: 4, validatorCount: 5)) {
            try Quorum(validatorCount: 5, override: 3)
        }
        let message = QuorumError.belowSafeMinimum(requested: 3, safeMinimum: 4, validatorCount: 5).description
        #expect(message.contains("safe minimum is 4"))
    }

    @Test func anOverrideAboveTheMinimumIsAccepted() throws {
        #expect(try Quorum(validatorCount: 5, override: 5).size == 5)
    }

    @Test func anOverrideAboveTheValidatorCountIsRefused() {
        #expect(throws: QuorumError.aboveValidatorCount(requested: 6, validatorCount: 5)) {
            try Quorum(validatorCount: 5, override: 6)
        }
    }
}
