import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/cases`: the organisation's cases, the form that opens one, and, for supervisors, the forms
/// that record the authority's decision; the lead investigator or a supervisor closes a case.
struct CasesWebController {
    let services: ServerServices

    var cases: Cases { services.cases }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("cases", use: list)
            .get("cases/:id", use: show)
            .get("cases/:id/report", use: report)
            .post("cases", use: open)
            .post("cases/:id/authorisation", use: authorise)
            .post("cases/:id/close", use: close)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        let all = try await cases.list(status: nil, caller: caller)
        let organization = try await context.organization(in: services.governance)
        var leads: [AccountID: String] = [:]
        for account in try await services.governance.accounts(in: organization.id) { leads[account.id] = account.username }
        let supervises = caller.account.role.allows(.superviseCases)
        let rows: [[String: Any]] = all.map { c in
            var row: [String: Any] = [
                "id": c.id, "number": c.number, "title": c.title, "offence": c.offence ?? "", "status": c.status.rawValue,
                "lead": leads[c.leadInvestigator] ?? "#\(c.leadInvestigator)", "opened": Self.day(c.openedAt),
                "may_close": c.status == .open && (supervises || c.leadInvestigator == caller.account.id),
                "may_decide": supervises && c.status == .open && c.authorisation == nil,
            ]
            // Only when set: the template's section shows for any value it is given, "" too.
            if let reason = c.blockedReason { row["blocked"] = reason }
            if let a = c.authorisation {
                row["authorisation"] = "\(a.decision.rawValue): \(a.authority), \(a.reference), \(Self.day(a.decidedAt))"
            }
            return row
        }
        let awaiting = caller.account.role.allows(.reviewCandidates) ? try await services.reviews.awaiting(caller: caller) : []
        // The caller's open watches (a supervisor's: all of them), those that matched first: the owner's alert.
        let numbers = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0.number) })
        let watches = try await services.search.watches.list(openOnly: true, caller: caller)
            .filter { supervises || $0.owner == caller.account.id }
            .sorted { ($0.lastMatchEntry ?? 0, $0.id) > ($1.lastMatchEntry ?? 0, $1.id) }
        return services.pages.render("cases", [
            "watches": watches.map { watch in
                var row: [String: Any] = ["id": watch.id, "case_id": watch.caseID, "case": numbers[watch.caseID] ?? "#\(watch.caseID)",
                                          "until": Self.day(watch.expiresAt), "matches": watch.matchCount,
                                          "owner": leads[watch.owner] ?? "#\(watch.owner)"]
                if let last = watch.lastMatchEntry { row["last_match"] = last }
                return row
            },
            "awaiting": awaiting.map { ["search": $0.search, "face": $0.face, "case": $0.caseNumber,
                                        "status": ReviewsWebController.label($0.status)] as [String: Any] },
            "has_awaiting": !awaiting.isEmpty,
            "cases": rows, "empty": rows.isEmpty, "may_open": caller.account.role.allows(.openCases),
            "policy": organization.caseAuthorisation == .required
                ? "Your organisation requires the authority's decision before a case is searched."
                : "Your organisation allows urgent searches: the authority's decision is due within 48 hours of a case's first search.",
            "today": Self.day(Date()),
        ], caller: context.caller, csrf: context.csrfToken)
    }

    /// One case: its searches, each candidate's review status, and, for examiners, the way to
    /// the comparison view. Candidates show by face number and band only: who they are opens
    /// through the audited comparison.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        let investigation = try await cases.get(try context.id(), caller: caller)
        let entries = try await services.governance.auditEntries(organization: caller.account.organization,
                                                                 caseNumber: investigation.number)
        let searches = entries.filter { $0.entry.action == AuditLog.Action.search.rawValue }
        let mayReview = caller.account.role.allows(.reviewCandidates) && investigation.blockedAt == nil
        // A stopped case's results are deleted from view: its searches are listed, not their candidates.
        let stopped = investigation.blockedAt != nil
        var rows: [[String: Any]] = []
        for search in searches {
            let reviews = Dictionary(grouping: try await services.governance.reviews(ofSearch: search.id), by: \.face)
            rows.append([
                "id": search.id, "at": String(search.at.prefix(16)).replacingOccurrences(of: "T", with: " "), "user": search.entry.actor,
                "outcome": search.entry.outcome, "purpose": search.entry.purpose ?? "",
                "candidates": stopped ? [] : search.entry.candidates.map { candidate in
                    [
                        "face": candidate.face, "band": candidate.band, "distance": String(format: "%.3f", candidate.distance),
                        "status": ReviewsWebController.label(Reviews.LeadStatus(reviews[candidate.face] ?? [])),
                        "may_review": mayReview,
                    ] as [String: Any]
                },
            ])
        }
        var values: [String: Any] = [
            "watches": try await watchRows(caseID: investigation.id, caller: caller), "watch_days": SearchWebController.watchDays,
            "number": investigation.number, "title": investigation.title,
            "status": investigation.status.rawValue, "searches": rows, "no_searches": rows.isEmpty, "id": investigation.id,
            "results_deleted": stopped,
            "may_report": investigation.leadInvestigator == caller.account.id || caller.account.role.allows(.superviseCases),
        ]
        // Only when set: the template's section shows for any value it is given, "" too.
        if let reason = investigation.blockedReason { values["blocked"] = reason }
        if let offence = investigation.offence { values["offence"] = offence }
        return services.pages.render("case", values, caller: context.caller, csrf: context.csrfToken)
    }

    /// The case's watches, newest first: whose, until when, their matches (searches of the case
    /// listed above), and for whoever may change one, its renewal and end.
    func watchRows(caseID: CaseID, caller: Accounts.Caller) async throws -> [[String: Any]] {
        var names: [AccountID: String] = [:]
        for account in try await services.governance.accounts(in: caller.account.organization) { names[account.id] = account.username }
        let investigation = try await cases.get(caseID, caller: caller)
        let supervises = caller.account.role.allows(.superviseCases)
        return try await services.search.watches.list(caseID: caseID, caller: caller).map { watch in
            var row: [String: Any] = [
                "id": watch.id, "owner": names[watch.owner] ?? "#\(watch.owner)", "search": watch.searchEntry,
                "opened": Self.day(watch.openedAt), "until": Self.day(watch.expiresAt), "matches": watch.matchCount,
                "status": watch.endReason.map { "ended: \($0)" } ?? "open",
                "may_change": watch.isOpen && (supervises || watch.owner == caller.account.id
                                              || investigation.leadInvestigator == caller.account.id),
            ]
            if let last = watch.lastMatchEntry { row["last_match"] = last }
            return row
        }
    }

    /// The case's report, printable; audited as `case_report`, the head it names.
    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        let report = try await services.search.caseReports.report(of: try context.id(), bands: services.bands,
                                                                  fusedBands: services.search.fusedBands, caller: caller)
        let html = CaseReportDocument.html(report, library: services.pages.library)
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let opening: Cases.Opening
        do {
            opening = try Cases.Opening(number: form["number"], title: form["title"], offence: form["offence"], leadInvestigator: nil)
        } catch { throw GovernanceError.invalid(error) }
        _ = try await cases.open(opening, caller: caller)
        return .redirect(to: "/cases")
    }

    @Sendable func authorise(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let id = try context.id()
        let decision: Cases.Decision
        do {
            decision = try Cases.Decision(decision: form["decision"], reference: form["reference"], authority: form["authority"],
                                          decidedAt: form["decided_at"].flatMap(Query.date))
        } catch { throw GovernanceError.invalid(error) }
        _ = try await cases.recordAuthorisation(of: id, decision, caller: caller)
        return .redirect(to: "/cases")
    }

    @Sendable func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, _) = try await request.signedInForm(context)
        _ = try await cases.close(try context.id(), caller: caller)
        return .redirect(to: "/cases")
    }

    static func day(_ date: Date) -> String { String(AuditEntry.timestamp(date).prefix(10)) }
}
