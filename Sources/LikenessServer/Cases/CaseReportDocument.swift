import Foundation
import LikenessGovernance
import LikenessStore
import Mustache

/// A case report as one printable HTML document: served at `/cases/{id}/report`, and printed to
/// PDF by `likeness case report` (with its stylesheet inline, as a file has no server to ask).
public enum CaseReportDocument {
    /// The document, for the command line: templates and stylesheet from the server's bundle.
    public static func html(_ report: CaseReports.Report) async throws -> String {
        let library = try await MustacheLibrary(directory: ServerResources.directory.appendingPathComponent("templates").path)
        let stylesheet = try String(contentsOf: ServerResources.directory.appendingPathComponent("static/app.css"), encoding: .utf8)
        return html(report, library: library, inlineStylesheet: stylesheet)
    }

    static func html(_ report: CaseReports.Report, library: MustacheLibrary, inlineStylesheet: String? = nil) -> String {
        let investigation = report.investigation
        var values: [String: Any] = [
            "number": investigation.number, "title": investigation.title, "offence": investigation.offence ?? "",
            "status": investigation.status.rawValue,
            "lead": report.usernames[investigation.leadInvestigator] ?? "#\(investigation.leadInvestigator)",
            "opened": AuditEntry.timestamp(investigation.openedAt),
            "disclosure": CaseReports.disclosure(report),
            "generated_by": report.generatedBy, "generated_at": report.head.at,
            "head_id": report.head.id, "head_hash": report.head.hash,
            "bands": report.bands.map { ["name": $0.name, "meaning": $0.meaning] },
            "searches": report.searches.map(search),
            "watches": report.watches.map { watch in
                [
                    "id": watch.id, "search": watch.searchEntry, "owner": report.usernames[watch.owner] ?? "#\(watch.owner)",
                    "opened": AuditEntry.timestamp(watch.openedAt), "matches": watch.matchCount,
                    "until": watch.endedAt.map { "ended \(AuditEntry.timestamp($0)) (\(watch.endReason ?? ""))" }
                        ?? "open until \(AuditEntry.timestamp(watch.expiresAt))",
                ] as [String: Any]
            },
            "verified": report.verifiedLeads.map { ["search": $0.search, "face": $0.candidate.face, "band": $0.candidate.band] },
            "has_verified": !report.verifiedLeads.isEmpty,
            "lead_notice": CandidateReviewsResponse.verifiedLeadNotice,
        ]
        if let stylesheet = inlineStylesheet { values["inline_css"] = stylesheet }
        if let authorisation = investigation.authorisation {
            values["authorisation"] = [
                "decision": authorisation.decision.rawValue, "reference": authorisation.reference, "authority": authorisation.authority,
                "decided_at": AuditEntry.timestamp(authorisation.decidedAt),
                "recorded_by": report.usernames[authorisation.recordedBy] ?? "#\(authorisation.recordedBy)",
            ]
        }
        if let reason = investigation.blockedReason { values["blocked"] = reason }
        return library.render(values, withTemplate: "case-report") ?? "template case-report is missing"
    }

    static func search(_ search: CaseReports.Report.Search) -> [String: Any] {
        let entry = search.entry
        var values: [String: Any] = [
            "id": entry.id, "at": entry.at, "user": entry.entry.actor, "purpose": entry.entry.purpose ?? "",
            "offence": entry.entry.offence ?? "", "outcome": entry.entry.outcome, "detail": entry.entry.detail ?? "",
            "collections": search.collections.joined(separator: ", "), "sha256": entry.entry.probeSHA256 ?? "-",
            "thumbnail_sha256": entry.thumbnailSHA256 ?? "-", "candidates_sha256": entry.candidatesSHA256 ?? "-", "hash": entry.hash,
            "candidates": search.candidates.map { candidate in
                [
                    "face": candidate.face, "band": candidate.band, "distance": String(format: "%.3f", candidate.distance),
                    "status": ReviewsWebController.label(candidate.status), "verified": candidate.status == .verified,
                    "reviews": candidate.reviews.map { line -> [String: Any] in
                        var review: [String: Any] = [
                            "reviewer": line.reviewer, "at": AuditEntry.timestamp(line.review.reviewedAt),
                            "audit_entry": line.review.auditEntry,
                        ]
                        if line.shown {
                            review["conclusion"] = ReviewsWebController.words(line.review.conclusion.rawValue)
                            review["features"] = CandidateReview.Feature.allCases.map { feature in
                                ReviewsWebController.label(feature) + ": "
                                    + ReviewsWebController.words(line.review.features[feature]?.rawValue ?? "-")
                            }.joined(separator: "; ")
                            if let notes = line.review.notes { review["notes"] = notes }
                        }
                        return review
                    },
                ] as [String: Any]
            },
            "no_candidates": search.candidates.isEmpty && !search.resultsDeleted,
            "results_deleted": search.resultsDeleted,
        ]
        if let thumbnail = search.thumbnail { values["thumbnail"] = Data(thumbnail).base64EncodedString() }
        return values
    }
}
