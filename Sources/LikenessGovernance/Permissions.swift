import LikenessStore

/// What each role may do within its own organisation. Nothing crosses organisations.
public enum Permission: String, Sendable, CaseIterable {
    case search
    case readCollections
    case manageCollections
    case manageAccounts
    case readAudit
    case readReports
    case manageSettings
    /// Access and erasure requests from the people whose faces are held.
    case handleSubjectRequests
    /// Reading the organisation's cases.
    case readCases
    /// Opening cases, and closing those one leads.
    case openCases
    /// Recording an authority's decision on a case, and closing any case.
    case superviseCases
    /// Comparing a search's candidates with its probe, and verifying another's lead.
    case reviewCandidates
}

extension Role {
    public func allows(_ permission: Permission) -> Bool {
        switch (self, permission) {
        case (.admin, .manageAccounts), (.admin, .manageCollections), (.admin, .manageSettings),
             (.admin, .readCollections), (.admin, .readReports), (.admin, .handleSubjectRequests):
            true
        case (.supervisor, .readAudit), (.supervisor, .readReports), (.supervisor, .readCollections),
             (.supervisor, .search), (.supervisor, .readCases), (.supervisor, .openCases), (.supervisor, .superviseCases),
             (.supervisor, .reviewCandidates):
            true
        case (.investigator, .search), (.investigator, .readCollections), (.investigator, .readCases), (.investigator, .openCases):
            true
        case (.auditor, .readAudit), (.auditor, .readReports), (.auditor, .readCases):
            true
        case (.examiner, .readCases), (.examiner, .reviewCandidates):
            true
        default:
            false
        }
    }

    public var label: String {
        switch self {
        case .admin: "Administrator"
        case .supervisor: "Supervisor"
        case .investigator: "Investigator"
        case .auditor: "Auditor"
        case .examiner: "Examiner"
        }
    }
}
