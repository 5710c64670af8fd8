import ArgumentParser
import Foundation
import LikenessGovernance
import LikenessStore

/// `likeness review`: examiners' comparisons of a search's candidates, as the API's
/// /api/v1/searches/{search}/candidates/{face}/reviews, acting as a named account.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Compare a search's candidate with its probe, and see its reviews (blind until yours is saved).",
        subcommands: [Record.self, Show.self, Awaiting.self])

    struct Candidate: ParsableArguments {
        @Argument(help: "The search: its audit entry, as `likeness search` prints it.") var search: Int64
        @Argument(help: "The candidate's face, as the search's table lists it.") var face: Int64
    }

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record your comparison: every feature observed, then a conclusion (examiners and supervisors).",
            discussion: """
                Features: \(CandidateReview.Feature.allCases.map(\.rawValue).joined(separator: ", ")); each \
                \(CandidateReview.Observation.allCases.map(\.rawValue).joined(separator: ", ")). Conclusions: \
                \(CandidateReview.Conclusion.allCases.map(\.rawValue).joined(separator: ", ")).
                """)
        @OptionGroup var candidate: Candidate
        @Option(name: .customLong("feature"), help: "FEATURE=OBSERVATION, once per feature.") var features: [String] = []
        @Option(help: "How strongly the comparison supports the same or different people.") var conclusion: String
        @Option(help: "What you saw.") var notes: String?
        @Flag(help: "Print JSON, as the API's.") var json = false
        @OptionGroup var actor: CaseCommand.Actor

        func run() async throws {
            try await failingWithExitCode2 {
                var observed: [String: String] = [:]
                for pair in features {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw UsageFailure("--feature takes FEATURE=OBSERVATION, not '\(pair)'") }
                    observed[parts[0]] = parts[1]
                }
                let (caller, gallery) = try await actor.caller()
                let findings = try Reviews.Findings(features: observed, notes: notes, conclusion: conclusion)
                let saved = try await Reviews(store: gallery.store, gallery: gallery.store).review(search: candidate.search, face: candidate.face, findings,
                                                                         caller: caller)
                print(json ? Output.json(CandidateReviewsResponse(saved)) : ReviewCommand.describe(saved))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A candidate's status, and the reviews you may see.")
        @OptionGroup var candidate: Candidate
        @Flag(help: "Print JSON, as the API's.") var json = false
        @OptionGroup var actor: CaseCommand.Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (caller, gallery) = try await actor.caller()
                let found = try await Reviews(store: gallery.store, gallery: gallery.store).reviews(search: candidate.search, face: candidate.face, caller: caller)
                print(json ? Output.json(CandidateReviewsResponse(found)) : ReviewCommand.describe(found))
            }
        }
    }

    struct Awaiting: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The candidates waiting for your review: leads to verify, disputes to decide.")
        @Flag(help: "Print JSON, as the API's.") var json = false
        @OptionGroup var actor: CaseCommand.Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (caller, gallery) = try await actor.caller()
                let awaiting = try await Reviews(store: gallery.store, gallery: gallery.store).awaiting(caller: caller)
                if json { print(Output.json(AwaitingReviewsResponse(awaiting))); return }
                guard !awaiting.isEmpty else { print("Nothing awaits your review."); return }
                print(Output.table(["case", "search", "face", "status", "since"], awaiting.map {
                    [$0.caseNumber, "\($0.search)", "\($0.face)", $0.status.rawValue, AuditEntry.timestamp($0.since)]
                }))
            }
        }
    }

    static func describe(_ reviews: Reviews.CandidateReviews) -> String {
        var lines = ["Search \(reviews.search), face \(reviews.face) (case \(reviews.caseNumber)): \(reviews.status.rawValue)"]
        if reviews.status == .verified { lines.append(CandidateReviewsResponse.verifiedLeadNotice) }
        if reviews.withheld > 0 {
            lines.append("\(reviews.withheld) review\(reviews.withheld == 1 ? "" : "s") withheld until yours is saved.")
        }
        for review in reviews.visible {
            lines.append("- review \(review.id) by account \(review.reviewer), \(AuditEntry.timestamp(review.reviewedAt)): "
                         + "\(review.conclusion.rawValue) (\(review.decision.rawValue)); audit entry \(review.auditEntry)")
        }
        return lines.joined(separator: "\n")
    }
}
