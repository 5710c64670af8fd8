import ArgumentParser
import Foundation
import LikenessGallery
import LikenessGovernance
import LikenessServer
import LikenessStore

/// `likeness case`: the organisation's cases, as the API's /api/v1/cases, acting as a named account.
struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case", abstract: "Open, list, authorise and close the organisation's cases.",
        subcommands: [Open.self, List.self, Authorise.self, Close.self, Report.self])

    /// Who acts: an account of the data directory's organisation.
    struct Actor: ParsableArguments {
        @Option(help: "The account acting.") var user: String
        @OptionGroup var data: DataOptions

        func open() async throws -> (Cases, Accounts.Caller, Gallery) {
            let (caller, gallery) = try await caller()
            return (Cases(store: gallery.store), caller, gallery)
        }

        func caller() async throws -> (Accounts.Caller, Gallery) {
            let gallery = try await data.openGallery()
            guard let account = try await gallery.store.account(username: user)?.account,
                  account.organization == (try await data.organization(of: gallery)).id else {
                throw UsageFailure("no account '\(user)' in this organisation")
            }
            return (Accounts.Caller(account: account, address: "cli"), gallery)
        }

        /// A case of the organisation by its number.
        func find(_ number: String, cases: Cases, caller: Accounts.Caller) async throws -> InvestigationCase {
            guard let found = try await cases.get(number: number, caller: caller) else {
                throw UsageFailure("no case numbered '\(number)' in this organisation")
            }
            return found
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a case; the acting account leads it unless --lead names another.")
        @Argument(help: "The case number, unique within the organisation.") var number: String
        @Option(help: "What the case is.") var title: String
        @Option(help: "The offence, if any.") var offence: String?
        @Option(help: "The lead investigator's username (default: the acting account).") var lead: String?
        @OptionGroup var actor: Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (cases, caller, gallery) = try await actor.open()
                var leadID: AccountID?
                if let lead {
                    guard let account = try await gallery.store.account(username: lead)?.account else {
                        throw UsageFailure("no account '\(lead)'")
                    }
                    leadID = account.id
                }
                let opening = try Cases.Opening(number: number, title: title, offence: offence, leadInvestigator: leadID)
                let opened = try await cases.open(opening, caller: caller)
                print("Opened case \(opened.number) (id \(opened.id)).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organisation's cases, newest first.")
        @Option(help: "open or closed (default: both).") var status: InvestigationCase.Status?
        @OptionGroup var actor: Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (cases, caller, _) = try await actor.open()
                let listed = try await cases.list(status: status, caller: caller)
                print(Output.table(["number", "status", "title", "authorisation", "opened"], listed.map { c in
                    [c.number, c.status.rawValue, c.title,
                     c.authorisation.map { "\($0.decision.rawValue) (\($0.reference), \($0.authority))" } ?? "none",
                     AuditEntry.timestamp(c.openedAt)]
                }))
            }
        }
    }

    struct Authorise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the authority's decision on a case (supervisors).")
        @Argument(help: "The case number.") var number: String
        @Option(help: "granted or refused.") var decision: String
        @Option(help: "The authority's reference for its decision (a warrant or order number).") var reference: String
        @Option(help: "Who decided: a court, a magistrate, an administrative authority.") var authority: String
        @Option(help: "When it decided: YYYY-MM-DD or an ISO 8601 time.") var decidedAt: String
        @OptionGroup var actor: Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (cases, caller, _) = try await actor.open()
                let found = try await actor.find(number, cases: cases, caller: caller)
                let when = try date(decidedAt, option: "--decided-at")
                let decided = try await cases.recordAuthorisation(
                    of: found.id, try Cases.Decision(decision: decision, reference: reference, authority: authority, decidedAt: when),
                    caller: caller)
                print("Case \(decided.number): \(decided.authorisation?.decision.rawValue ?? "") recorded.")
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a case (its lead investigator or a supervisor).")
        @Argument(help: "The case number.") var number: String
        @OptionGroup var actor: Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (cases, caller, _) = try await actor.open()
                let closed = try await cases.close(try await actor.find(number, cases: cases, caller: caller).id, caller: caller)
                print("Closed case \(closed.number).")
            }
        }
    }
}

extension CaseCommand {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a case's report: a PDF (headless Chromium), or HTML for an --output ending in .html.",
            discussion: """
                The case's lead investigator or a supervisor. Making it is audited, and that entry, the head of the \
                audit chain, is named in the report: `likeness audit verify --head ID:HASH` checks the log still holds it.
                """)
        @Argument(help: "The case number.") var number: String
        @Option(name: [.short, .customLong("output")], help: "Where to write it: report.pdf, or report.html.") var output: String
        @OptionGroup var actor: Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (cases, caller, gallery) = try await actor.open()
                let found = try await actor.find(number, cases: cases, caller: caller)
                let (bands, fusedBands) = try await actor.data.calibratedBands()
                let report = try await CaseReports(store: gallery.store, gallery: gallery.store)
                    .report(of: found.id, bands: bands, fusedBands: fusedBands, caller: caller)
                let html = try await CaseReportDocument.html(report)
                let destination = URL(fileURLWithPath: output)
                if destination.pathExtension.lowercased() == "html" {
                    try html.write(to: destination, atomically: true, encoding: .utf8)
                } else {
                    try PDFPrinter.write(html: html, to: destination)
                }
                print("Wrote \(output): case \(found.number); audit head at export: entry \(report.head.id), hash \(report.head.hash)")
            }
        }
    }
}

extension InvestigationCase.Status: ExpressibleByArgument {}
