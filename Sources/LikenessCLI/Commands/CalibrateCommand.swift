import ArgumentParser
import LikenessCore
import LikenessEvaluation
import LikenessGovernance

struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure score bands on labelled photos and store them in the gallery's database (SQLite, or --store's PostgreSQL).",
        discussion: """
            Every same-person and different-person pair of the labelled photos is scored. The \
            `possible` threshold admits at most --target-fmr of different-person pairs, `strong` \
            a tenth of that. Search and verify use the stored bands from then on.
            """)

    @Argument(help: "LABELS.jsonl or a folder-per-identity tree.") var labels: String
    @Option(help: "The false-match rate the `possible` band may admit.") var targetFmr = 0.001
    @OptionGroup var pipeline: PipelineOptions
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            let labelSet = try LabelSet.load(labels)
            let computed = try await pipeline.templates(for: labelSet)
            let (scored, _) = computed.score(PairList.all(from: labelSet))
            let calibration = try Calibration(genuine: scored.filter(\.pair.same).map(\.distance),
                                              impostor: scored.filter { !$0.pair.same }.map(\.distance),
                                              targetFMR: targetFmr, source: labels)
            let store = try await data.openStore()
            try await store.setBandThresholds(calibration.thresholds)
            print(String(format: "Stored bands: strong ≤ %.4f, possible ≤ %.4f", calibration.thresholds.strong,
                         calibration.thresholds.possible))
            print(calibration.thresholds.measuredOn)
            guard let fused = try fusedBands(computed, labels: labelSet) else {
                print("No fused bands: too few photos with both models' templates.")
                return
            }
            try await store.setFusedBands(fused)
            print(String(format: "Stored fused bands: strong ≤ %.4f, possible ≤ %.4f, review ≤ %.4f", fused.thresholds.strong,
                         fused.thresholds.possible, fused.reviewDistance))
            print(fused.thresholds.measuredOn)
        }
    }

    /// Bands on both models' fused distance, over the photos with both templates: normalised on
    /// balanced pairs, thresholds on every pair (`FusedCalibration`).
    private func fusedBands(_ computed: LabelledTemplates, labels labelSet: LabelSet) throws -> FusedBands? {
        let photos = labelSet.photos.filter { photo in
            photo.identity != nil && computed.templates[photo.file] != nil && computed.sfaceTemplates[photo.file] != nil
        }
        let position = Dictionary(uniqueKeysWithValues: photos.enumerated().map { ($1.file, $0) })
        let balanced = PairList.balanced(from: LabelSet(directory: labelSet.directory, photos: photos))
            .map { (position[$0.a]!, position[$0.b]!) }
        guard balanced.contains(where: { photos[$0.0].identity == photos[$0.1].identity }),
              balanced.contains(where: { photos[$0.0].identity != photos[$0.1].identity }) else { return nil }
        let dlib = photos.map { computed.templates[$0.file]! }, sface = photos.map { computed.sfaceTemplates[$0.file]! }
        // An organisation's own set gets its own normalisation, on balanced pairs as in the LFW
        // protocol the fusion was chosen on.
        let normalisation = try ScoreNormalisation(dlibDistances: balanced.map { dlib[$0.0].distance(to: dlib[$0.1]) },
                                                   sfaceSimilarities: balanced.map { sface[$0.0].cosineSimilarity(to: sface[$0.1]) })
        return try FusedCalibration.measure(
            identities: photos.map { $0.identity! }, normalisation: normalisation, dlibReviewDistance: SubjectRights.reviewDistance,
            targetFMR: targetFmr, source: labels,
            dlibDistance: { dlib[$0].distance(to: dlib[$1]) }, sfaceSimilarity: { sface[$0].cosineSimilarity(to: sface[$1]) }).fused
    }
}
