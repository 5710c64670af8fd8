import Foundation
import LikenessStore

/// What tests that search need: cases, open, with the authority's grant recorded, so that an
/// organisation's default policy (`CaseAuthorisationPolicy.required`) lets them be searched;
/// and accounts with a current training record.
public enum TestCases {
    public static func openAuthorised(_ numbers: [String], in organization: OrganizationID, lead: AccountID,
                                      store: any GovernanceStore) async throws {
        for number in numbers {
            guard let opened = try await store.createCase(NewCase(organization: organization, number: number, title: "test case \(number)",
                                                                  offence: nil, leadInvestigator: lead, openedBy: lead,
                                                                  openedAt: Date())) else { continue }
            _ = try await store.recordAuthorisation(CaseAuthorisation(decision: .granted, reference: "ORDER-\(number)", authority: "test court",
                                                                      decidedAt: Date(), recordedBy: lead, recordedAt: Date()),
                                                    of: opened.id)
        }
    }

    /// A training record completed today, as searching needs.
    public static func train(_ accounts: [AccountID], store: any GovernanceStore) async throws {
        for account in accounts {
            _ = try await store.addTrainingRecord(account: account, course: "test course", completedOn: Date(), recordedBy: nil,
                                                  recordedAt: Date())
        }
    }
}
