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
                photo.identity.flatMap { identity in
                    computed.templates[photo.file].map { (identity: identity, template: $0, file: photo.file) }
                }
            }
            let possible = BandThresholds.standard.possible
            var rows: [[String]] = []
            func add(_ r: ErasureReach, scoredBy: String) {
                let perRequest = { (n: Int) in String(format: "%.2f", Double(n) / Double(max(1, r.requests))) }
                rows.append([scoredBy, String(format: "%.4f", r.reviewDistance), r.widen ? "yes" : "no", "\(r.requests)",
                             "\(r.personPhotos)", String(format: "%.2f%%", r.reach * 100), perRequest(r.lookalikesShown),
                             perRequest(r.lookalikesTicked), perRequest(r.lookups)])
            }
            let review = SubjectRights.reviewDistance
            for (distance, widen) in [(possible, false), (possible, true), (Float(0.6), false), (review, false), (review, true),
                                      (Float(0.65), true)] {
                add(ErasureReach.measure(photos.map { ($0.identity, $0.template) }, reviewDistance: distance, tickDistance: possible,
                                         widen: widen), scoredBy: "dlib")
            }
            // The default: both models, on the photos that have both templates.
            let fused = FusedBands.standard
            let both = photos.filter { computed.sfaceTemplates[$0.file] != nil }
            for widen in [false, true] {
                add(ErasureReach.measure(identities: both.map(\.identity), reviewDistance: fused.reviewDistance,
                                         tickDistance: fused.thresholds.possible, widen: widen) { i, j in
                        fused.fusedDistance(dlibDistance: both[i].template.distance(to: both[j].template),
                                            sfaceSimilarity: computed.sfaceTemplates[both[i].file]!
                                                .cosineSimilarity(to: computed.sfaceTemplates[both[j].file]!))
                    }, scoredBy: "both (fused)")
            }
            print("\(photos.count) photos with a face of \(labelSet.photos.count), \(both.count) with both models' templates; "
                  + Machine.current.summary)
            print(Output.table(["scored by", "review distance", "widen", "requests", "their photos", "reached", "lookalikes shown",
                                "lookalikes ticked", "look-ups"], rows))
        }
    }
}
