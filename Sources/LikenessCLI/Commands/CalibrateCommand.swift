import ArgumentParser
import LikenessEvaluation

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
            try await data.openStore().setBandThresholds(calibration.thresholds)
            print(String(format: "Stored bands: strong ≤ %.4f, possible ≤ %.4f", calibration.thresholds.strong,
                         calibration.thresholds.possible))
            print(calibration.thresholds.measuredOn)
        }
    }
}
