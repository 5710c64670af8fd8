import Foundation
import LikenessStore

/// Cases for tests that search: open, with the authority's grant recorded, so that an
/// organisation's default policy (`CaseAuthorisationPolicy.required`) lets them be searched.
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
}
