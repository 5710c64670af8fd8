import ArgumentParser
import Foundation
import LikenessBench
import LikenessCore
import LikenessEvaluation
import LikenessGovernance

/// `likeness bench erasure LABELS`: how much of a person an erasure request reaches, by how
/// wide the reviewer's list is and whether confirmed faces are looked up in turn.
struct ErasureBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erasure",
        abstract: "Measure the share of a person's photos an erasure request shows its reviewer, and the lookalikes beside them.",
        discussion: """
            Each labelled person with two or more photos files a request with their first photo as the selfie; every \\
            other photo of the set is the gallery. Run it on ../shared/lfw-dev/labels.jsonl.
            """)

    @Argument(help: "LABELS.jsonl or a folder-per-identity tree.") var labels: String
    @OptionGroup var pipeline: PipelineOptions

    func run() async throws {
        try await failingWithExitCode2 {
            let labelSet = try LabelSet.load(labels)
            let computed = try await pipeline.templates(for: labelSet)
            let photos = labelSet.photos.compactMap { photo in
                photo.identity.flatMap { identity in computed.templates[photo.file].map { (identity: identity, template: $0) } }
            }
            let possible = BandThresholds.standard.possible
            var rows: [[String]] = []
            let review = SubjectRights.reviewDistance
            for (distance, widen) in [(possible, false), (possible, true), (Float(0.6), false), (review, false), (review, true),
                                      (Float(0.65), true)] {
                let r = ErasureReach.measure(photos, reviewDistance: distance, tickDistance: possible, widen: widen)
                let perRequest = { (n: Int) in String(format: "%.2f", Double(n) / Double(max(1, r.requests))) }
                rows.append([String(format: "%.4f", distance), widen ? "yes" : "no", "\(r.requests)", "\(r.personPhotos)",
                             String(format: "%.2f%%", r.reach * 100), perRequest(r.lookalikesShown), perRequest(r.lookalikesTicked),
                             perRequest(r.lookups)])
            }
            print("\(photos.count) photos with a face of \(labelSet.photos.count); \(Machine.current.summary)")
            print(Output.table(["review distance", "widen", "requests", "their photos", "reached", "lookalikes shown",
                                "lookalikes ticked", "look-ups"], rows))
        }
    }
}
