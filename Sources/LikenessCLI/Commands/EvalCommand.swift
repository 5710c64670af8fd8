import ArgumentParser
import Foundation
import LikenessCore
import LikenessEngine
import LikenessEvaluation
import LikenessStore

/// The templates of a labelled photo set, computed once for `eval` and `calibrate`.
struct LabelledTemplates {
    var labels: LabelSet
    /// The named face's template per photo file (`LabelledPhoto.namedFace`; photos without a face are absent).
    var templates: [String: FaceTemplate]
    /// The named face's SFace template, where it has one.
    var sfaceTemplates: [String: FaceTemplate] = [:]
    /// The named face's aligned chip (JPEG) per photo file, for the report's error examples.
    var crops: [String: Data]
    var detectedFaces: [String: Int]
    var failures: [String: String]
    var secondsPerPhoto: Double

    static func compute(_ labels: LabelSet, policy: DetectionPolicy, templatePolicy: TemplatePolicy,
                        workers: Int) async throws -> LabelledTemplates {
        let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: workers,
                              loadDetectorCNN: policy.detector == .mmod)
        defer { pool.shutdown() }
        struct PhotoResult: Sendable {
            var file: String; var faces: Int; var template: FaceTemplate?; var sface: FaceTemplate?; var crop: Data?; var failure: String?
        }
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: PhotoResult.self) { group in
            for photo in labels.photos {
                let url = labels.url(of: photo)
                group.addTask {
                    do {
                        return try await pool.run { engine in
                            let image = try ImageCodec.decode(file: url.path)
                            let faces = try engine.detectFaces(in: image, policy: policy)
                            guard let face = LabelledPhoto.namedFace(among: faces, width: image.width, height: image.height, box: \.box) else {
                                return PhotoResult(file: photo.file, faces: 0)
                            }
                            let template = try engine.templates(for: [face], in: image, policy: templatePolicy)[0]
                            let sface = try engine.sfaceTemplates(for: [face], in: image)[0]
                            let side = DlibFaceEngine.chipSide
                            let crop = try ImageCodec.jpeg(rgb: try engine.chip(for: face, in: image), width: side, height: side)
                            return PhotoResult(file: photo.file, faces: faces.count, template: template, sface: sface, crop: Data(crop))
                        }
                    } catch {
                        return PhotoResult(file: photo.file, faces: 0, failure: "\(error)")
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var set = LabelledTemplates(labels: labels, templates: [:], crops: [:], detectedFaces: [:], failures: [:],
                                    secondsPerPhoto: (ContinuousClock.now - started).seconds / Double(max(1, labels.photos.count)))
        for result in results {
            if let failure = result.failure { set.failures[result.file] = failure; continue }
            set.detectedFaces[result.file] = result.faces
            set.templates[result.file] = result.template
            set.sfaceTemplates[result.file] = result.sface
            set.crops[result.file] = result.crop
        }
        return set
    }

    /// Templates another pipeline computed (scripts/reference/reference_eval.py writes them):
    /// `{"pipeline": name, "photos": {file: {"faces": n, "template": [128 numbers] or null}}}`.
    static func load(_ path: String, labels: LabelSet) throws -> (LabelledTemplates, pipeline: String) {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let photos = object["photos"] as? [String: [String: Any]]
        else { throw UsageFailure("\(path): not a templates file ({\"pipeline\", \"photos\": {...}})") }
        var set = LabelledTemplates(labels: labels, templates: [:], crops: [:], detectedFaces: [:], failures: [:],
                                    secondsPerPhoto: 0)
        for (file, photo) in photos {
            set.detectedFaces[file] = photo["faces"] as? Int ?? 0
            if let values = photo["template"] as? [Double] {
                guard values.count == FaceTemplate.dimension else {
                    throw UsageFailure("\(path): \(file) has \(values.count) values, not \(FaceTemplate.dimension)")
                }
                set.templates[file] = FaceTemplate(values.map(Float.init))
            }
        }
        return (set, object["pipeline"] as? String ?? path)
    }

    func score(_ pairs: [LabelledPair]) -> (scored: [ScoredPair], unscored: Int) {
        var scored: [ScoredPair] = []
        for pair in pairs {
            guard let a = templates[pair.a], let b = templates[pair.b] else { continue }
            scored.append(ScoredPair(pair: pair, distance: a.distance(to: b)))
        }
        return (scored, pairs.count - scored.count)
    }
}

/// Options shared by `eval` and `calibrate`: which pipeline computes the templates.
struct PipelineOptions: ParsableArguments {
    @Flag(help: "Detect and describe as the reference face_recognition does (HOG, upsample 1, one chip).") var reference = false
    @Flag(help: "Detect with dlib's MMOD CNN (slow) instead of YuNet.") var accurate = false
    @Option(help: "Average each template over this many jittered chips (dlib's jitter).") var jitters = 1
    @Flag(inversion: .prefixedNo, help: "Average each template with its mirrored chip's (the default; not with --reference).")
    var mirrored = true
    @Option(help: "Face engines in parallel (default: one per core).") var workers: Int?

    var policy: DetectionPolicy { reference ? .reference : accurate ? .accurate : .standard }
    var templatePolicy: TemplatePolicy { reference ? .reference : TemplatePolicy(jitters: jitters, mirrored: mirrored) }
    var name: String {
        if reference { return "reference (as face_recognition)" }
        return (accurate ? "MMOD detection" : "standard detection") + (jitters > 1 ? ", \(jitters) jitters" : "") + (mirrored ? ", mirrored" : "")
    }

    func templates(for labels: LabelSet) async throws -> LabelledTemplates {
        try await LabelledTemplates.compute(labels, policy: policy, templatePolicy: templatePolicy,
                                            workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
    }
}

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure accuracy on labelled photos: verification, identification, detection.",
        discussion: """
            LABELS is a JSONL file of {"file": "relative/path.jpg", "identity": "name-or-null"} \
            (extra scalar fields split the figures by group), or a folder with one sub-folder per \
            identity. Without --pairs, balanced same/different pairs are drawn with a fixed seed.
            """)

    @Argument(help: "LABELS.jsonl or a folder-per-identity tree.") var labels: String
    @Option(help: "PAIRS.jsonl: {\"a\": file, \"b\": file, \"same\": true|false} per line.") var pairs: String?
    @Option(help: "Write an HTML report (ROC, histograms, worst errors) into this folder.") var report: String?
    @Option(help: "Score templates another pipeline computed instead of running the engine (see scripts/reference/reference_eval.py).")
    var templates: String?
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: """
        Compare the candidate pipelines (face_recognition's, today's default, dlib and SFace on \
        YuNet's faces, and their fusions) on the LFW protocol: PAIRS must give each pair's fold.
        """)
    var compareModels = false
    @Flag(help: """
        Rank-1/5 of the default pipeline with each photo searched as the server searches a probe \
        (a quick look first, large JPEGs decoded shrunk) beside its templates as ingest stores them.
        """)
    var probePath = false
    @Option(help: "With --compare-models: keep every pipeline's templates in this file, and read them from it when it exists.")
    var templatesCache: String?
    @OptionGroup var pipeline: PipelineOptions
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            let labelSet = try LabelSet.load(labels)
            if compareModels {
                try await compare(labelSet)
                return
            }
            if probePath {
                try await evaluateProbePath(labelSet)
                return
            }
            var pipelineName = pipeline.name
            let computed: LabelledTemplates
            if let templates {
                (computed, pipelineName) = try LabelledTemplates.load(templates, labels: labelSet)
            } else {
                computed = try await pipeline.templates(for: labelSet)
            }
            let labelledPairs = try pairs.map { try PairList.load(file: $0, labels: labelSet) } ?? PairList.balanced(from: labelSet)
            let (scored, unscored) = computed.score(labelledPairs)
            let bands = try await data.calibratedBands().dlib
            let withFaces = labelSet.photos.filter { computed.templates[$0.file] != nil }
            let probes = IdentificationProbe.allAgainstAll(withFaces) { i, j in
                computed.templates[withFaces[i].file]!.distance(to: computed.templates[withFaces[j].file]!)
            }
            let result = EvaluationReport(labels: labelSet, scoredPairs: scored, unscoredPairs: unscored,
                                          threshold: bands.possible, probes: probes, detectedFaces: computed.detectedFaces)
            if let report {
                let worst = VerificationMetrics.worstErrors(in: scored, threshold: bands.possible, limit: 8)
                let errors = (worst.falseAccepts + worst.falseRejects).compactMap { pair -> ErrorExample? in
                    guard let a = computed.crops[pair.pair.a], let b = computed.crops[pair.pair.b] else { return nil }
                    return ErrorExample(pair: pair, cropA: a, cropB: b)
                }
                try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true)
                let page = HTMLReport.render(result, title: "Likeness evaluation: \(labels) (\(pipelineName))", errors: errors)
                try page.write(toFile: (report as NSString).appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
            }
            if json {
                var object = result.jsonObject
                object["pipeline"] = pipelineName
                object["timings"] = ["seconds_per_photo": (computed.secondsPerPhoto * 1000).rounded() / 1000]
                object["failures"] = computed.failures
                // The evaluation report is JSON-ready values of its own (`EvaluationReport.jsonObject`), not a response type.
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("Pipeline: \(pipelineName); \(String(format: "%.0f", computed.secondsPerPhoto * 1000)) ms per photo; "
                      + "a face found in \(computed.detectedFaces.values.filter { $0 > 0 }.count) of \(labelSet.photos.count) photos")
                print(result.text())
                for (file, reason) in computed.failures.sorted(by: { $0.key < $1.key }) { print("  failed: \(file): \(reason)") }
            }
        }
    }

    private func compare(_ labelSet: LabelSet) async throws {
        guard let pairs else { throw UsageFailure("--compare-models needs --pairs with each pair's fold") }
        let labelledPairs = try PairList.load(file: pairs, labels: labelSet)
        let workers = pipeline.workers ?? ProcessInfo.processInfo.activeProcessorCount
        let started = ContinuousClock.now
        var templates: [String: ModelTemplates], failures: [String: String] = [:]
        if let templatesCache, let data = FileManager.default.contents(atPath: templatesCache) {
            templates = try JSONDecoder().decode([String: ModelTemplates].self, from: data)
        } else {
            (templates, failures) = try await ModelTemplates.compute(labelSet, workers: workers)
            if let templatesCache { try JSONEncoder().encode(templates).write(to: URL(fileURLWithPath: templatesCache)) }
        }
        let seconds = (ContinuousClock.now - started).seconds
        let gallery = PhotoGallery(labels: labelSet, templates: templates)
        let rows = try ModelComparison.rows(labels: labelSet, pairs: labelledPairs, templates: templates, gallery: gallery)
        print("\(labelSet.photos.count) photos, \(labelledPairs.count) pairs; every pipeline's templates computed in "
              + String(format: "%.0f s (%d workers)", seconds, workers) + "; thresholds chosen on the other folds\n")
        print(ModelComparison.table(rows))
        let (dlibBands, fusedBands) = try ModelComparison.calibrations(gallery: gallery, targetFMR: 1e-3, source: labels)
        print("\nBands for dlib on YuNet faces alone: \(dlibBands.thresholds.measuredOn)")
        print("Bands for the fusion: \(fusedBands.thresholds.measuredOn)")
        print("Fused bands: \(fusedBands)")
        for (name, result) in ModelComparison.erasureReach(gallery: gallery, fused: fusedBands, dlibPossible: dlibBands.thresholds.possible) {
            print("Erasure reach, \(name): " + String(format: "review distance %.4f, %d requests, %.2f%% of %d photos reached, "
                         + "%.2f lookalikes shown and %.2f ticked per request, %.2f look-ups per request",
                         result.reviewDistance, result.requests, result.reach * 100, result.personPhotos,
                         Double(result.lookalikesShown) / Double(max(1, result.requests)),
                         Double(result.lookalikesTicked) / Double(max(1, result.requests)),
                         Double(result.lookups) / Double(max(1, result.requests))))
        }
        for (file, reason) in failures.sorted(by: { $0.key < $1.key }) { print("  failed: \(file): \(reason)") }
    }

    private func evaluateProbePath(_ labelSet: LabelSet) async throws {
        guard pipeline.policy == .standard, pipeline.templatePolicy == .standard, templates == nil else {
            throw UsageFailure("--probe-path measures the default pipeline, the one the server searches with: "
                               + "it takes no --reference, --accurate, --jitters, --no-mirrored or --templates")
        }
        let workers = pipeline.workers ?? ProcessInfo.processInfo.activeProcessorCount
        let evaluation = try await ProbePathEvaluation.compute(labelSet, workers: workers)
        let (bands, fusedBands) = try await data.calibratedBands()
        let stored = await evaluation.identification(probe: .stored, bands: bands, fusedBands: fusedBands)
        let searched = await evaluation.identification(probe: .probePath, bands: bands, fusedBands: fusedBands)
        let changed = evaluation.changedTemplates
        let noFace = evaluation.photos.filter { $0.stored != nil && $0.probe == nil }.count
        if json {
            struct Ranks: Encodable { var probes: Int; var rank1: Double?; var rank5: Double? }
            struct Report: Encodable {
                var photos: Int; var stored: Ranks; var probePath: Ranks; var changedTemplates: Int; var probePathWithoutFace: Int
                var failures: [String: String]
            }
            func ranks(_ identification: Identification) -> Ranks {
                Ranks(probes: identification.probes, rank1: identification.rank1Rate, rank5: identification.rank5Rate)
            }
            print(Output.json(Report(photos: evaluation.photos.count, stored: ranks(stored), probePath: ranks(searched),
                                     changedTemplates: changed.count, probePathWithoutFace: noFace, failures: evaluation.failures)))
            return
        }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "–" }
        print("\(labelSet.photos.count) photos, each searched against all the others; both ways computed in "
              + String(format: "%.0f s (%d workers)", evaluation.seconds, workers) + "\n")
        func row(_ name: String, _ identification: Identification) -> [String] {
            [name, "\(identification.probes)", percent(identification.rank1Rate), percent(identification.rank5Rate)]
        }
        print(Output.table(["the probe's templates", "probes", "rank-1", "rank-5"], [
            row("as ingest stores them", stored), row("as a search computes them (the probe path)", searched),
        ]))
        print("\nThe probe path's templates differ from the stored ones for \(changed.count) of "
              + "\(evaluation.photos.count) photos (largest dlib distance between the two: "
              + String(format: "%.4f", changed.largestDistance) + "); it found no face in \(noFace) photos ingest found one in.")
        for (file, reason) in evaluation.failures.sorted(by: { $0.key < $1.key }) { print("  failed: \(file): \(reason)") }
    }
}
