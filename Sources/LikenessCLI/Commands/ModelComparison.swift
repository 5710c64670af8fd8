import Foundation
import LikenessCore
import LikenessEngine
import LikenessEvaluation
import LikenessGovernance
import CBLAS

/// What each candidate pipeline makes of the face a labelled photo names: the evidence for
/// choosing the default pipeline, measured on the LFW protocol in one run (`eval --compare-models`).
struct ModelTemplates: Sendable, Codable {
    /// face_recognition's pipeline (HOG upsampled once, one chip), which the engine reproduces
    /// to 1e-4 (ReferenceParityTests).
    var reference: FaceTemplate?
    /// Today's default: HOG at up to 2,000 px, template averaged with the mirrored chip's.
    var standard: FaceTemplate?
    /// dlib's landmarks, chip and mirrored template on the face YuNet found.
    var dlibOnYuNet: FaceTemplate?
    /// SFace's mirrored template on YuNet's face and landmarks.
    var sface: FaceTemplate?

    enum CodingKeys: String, CodingKey { case reference, standard, dlibOnYuNet, sface }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func template(_ key: CodingKeys) throws -> FaceTemplate? {
            try container.decodeIfPresent([Float].self, forKey: key).map(FaceTemplate.init)
        }
        reference = try template(.reference)
        standard = try template(.standard)
        dlibOnYuNet = try template(.dlibOnYuNet)
        sface = try template(.sface)
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(reference?.values, forKey: .reference)
        try container.encodeIfPresent(standard?.values, forKey: .standard)
        try container.encodeIfPresent(dlibOnYuNet?.values, forKey: .dlibOnYuNet)
        try container.encodeIfPresent(sface?.values, forKey: .sface)
    }

    /// The networks one worker thread holds.
    final class Engines {
        let dlib: DlibFaceEngine
        let yunet: YuNetDetector
        let sface: SFaceRecognizer

        init(models: FaceModels, onnx: ONNXFaceModels) throws {
            dlib = try DlibFaceEngine(models: models, loadDetectorCNN: false)
            yunet = try YuNetDetector(models: onnx)
            sface = try SFaceRecognizer(models: onnx)
        }
    }

    /// The long side YuNet scans at: faces from ~10 px up, and a portrait's face small enough
    /// for the network's coarsest stride.
    static let yunetLongSide = 640

    init(photo url: URL, engines: Engines) throws {
        let image = try ImageCodec.decode(file: url.path)
        let dlib = engines.dlib
        func named<Face>(_ faces: [Face], box: (Face) -> FaceBox) -> Face? {
            LabelledPhoto.namedFace(among: faces, width: image.width, height: image.height, box: box)
        }
        let hog = try dlib.detectFaces(in: image, policy: .reference)
        if let face = named(hog, box: \.box) {
            reference = try dlib.templates(for: [face], in: image, policy: .reference)[0]
        }
        // The standard detection scans a photo of up to 1,000 px exactly as the reference does
        // (doubled once), so its faces are reused rather than found again.
        let standardFaces = max(image.width, image.height) * 2 <= 2000 ? hog : try dlib.detectFaces(in: image, policy: .standard)
        if let face = named(standardFaces, box: \.box) {
            standard = try dlib.templates(for: [face], in: image, policy: .standard)[0]
        }
        if let face = named(try engines.yunet.detectFaces(in: image, longSide: Self.yunetLongSide), box: \.box) {
            let dlibFace = try dlib.face(in: face.dlibBox, score: Double(face.score), of: image)
            dlibOnYuNet = try dlib.templates(for: [dlibFace], in: image, policy: .standard)[0]
            sface = try engines.sface.templates(for: [face], in: image, mirrored: true)[0]
        }
    }

    /// Computes every photo's templates with one set of engines per worker thread.
    static func compute(_ labels: LabelSet, workers: Int) async throws -> (templates: [String: ModelTemplates], failures: [String: String]) {
        let models = try FaceModels.locate(), onnx = try ONNXFaceModels.locate()
        let pool = EnginePool(size: workers) { try ComparisonEngine(engines: Engines(models: models, onnx: onnx)) }
        defer { pool.shutdown() }
        typealias Outcome = (file: String, result: Result<ModelTemplates, any Error>)
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            for photo in labels.photos {
                let url = labels.url(of: photo)
                group.addTask {
                    do {
                        let templates = try await pool.run { engine in
                            try ModelTemplates(photo: url, engines: (engine as! ComparisonEngine).engines)
                        }
                        return (photo.file, .success(templates))
                    } catch {
                        return (photo.file, .failure(error))
                    }
                }
            }
            var templates: [String: ModelTemplates] = [:], failures: [String: String] = [:]
            for try await (file, result) in group {
                switch result {
                case .success(let computed): templates[file] = computed
                case .failure(let error): failures[file] = "\(error)"
                }
            }
            return (templates, failures)
        }
    }
}

/// Lets `EnginePool` hand the comparison's networks to its threads; the pool only hands engines
/// over, and only `ModelTemplates` calls them.
private final class ComparisonEngine: FaceEngine {
    let engines: ModelTemplates.Engines
    init(engines: ModelTemplates.Engines) { self.engines = engines }
    func detectFaces(in image: RGBImage, policy: DetectionPolicy) throws -> [DetectedFace] {
        try engines.dlib.detectFaces(in: image, policy: policy)
    }
    func templates(for faces: [DetectedFace], in image: RGBImage, policy: TemplatePolicy) throws -> [FaceTemplate] {
        try engines.dlib.templates(for: faces, in: image, policy: policy)
    }
    func sfaceTemplates(for faces: [DetectedFace], in image: RGBImage) throws -> [FaceTemplate?] {
        try engines.dlib.sfaceTemplates(for: faces, in: image)
    }
    func chip(for face: DetectedFace, in image: RGBImage) throws -> [UInt8] { try engines.dlib.chip(for: face, in: image) }
}

/// One row of the comparison: a pipeline's LFW-protocol figures and its rank-1/5.
struct ModelComparisonRow {
    var name: String
    var lfw: LFWProtocol
    var identification: Identification
}

enum ModelComparison {
    static func rows(labels: LabelSet, pairs: [LabelledPair], templates: [String: ModelTemplates],
                     gallery: PhotoGallery) throws -> [ModelComparisonRow] {
        func matrixName(_ template: KeyPath<ModelTemplates, FaceTemplate?>) -> String {
            template == \ModelTemplates.reference ? "reference" : template == \ModelTemplates.standard ? "standard" : "dlibOnYuNet"
        }
        func dlibRow(_ name: String, _ template: KeyPath<ModelTemplates, FaceTemplate?>) throws -> ModelComparisonRow {
            let scored = pairs.map { pair in
                LFWScoredPair(pair: pair, distance: distance(templates[pair.a]?[keyPath: template], templates[pair.b]?[keyPath: template]))
            }
            return ModelComparisonRow(name: name, lfw: try LFWProtocol(pairs: scored),
                                      identification: identification(gallery) { gallery.dlibDistance(matrixName(template), $0, $1) })
        }
        func sfaceRow() throws -> ModelComparisonRow {
            // A "distance" for the single-model protocol: 1 − cosine similarity.
            let scored = pairs.map { pair in
                LFWScoredPair(pair: pair, distance: similarity(templates[pair.a]?.sface, templates[pair.b]?.sface).map { 1 - $0 })
            }
            return ModelComparisonRow(name: "SFace on YuNet faces, mirrored", lfw: try LFWProtocol(pairs: scored),
                                      identification: identification(gallery) { gallery.sfaceSimilarity($0, $1).map { 1 - $0 } })
        }
        func fusedRow(_ name: String, _ template: KeyPath<ModelTemplates, FaceTemplate?>) throws -> ModelComparisonRow {
            let fusion = pairs.map { pair in
                FusionPair(pair: pair,
                           dlibDistance: distance(templates[pair.a]?[keyPath: template], templates[pair.b]?[keyPath: template]),
                           sfaceSimilarity: similarity(templates[pair.a]?.sface, templates[pair.b]?.sface))
            }
            // Ranking needs one normalisation for the whole gallery: the one all pairs give.
            let measured = fusion.compactMap { pair in pair.dlibDistance.flatMap { d in pair.sfaceSimilarity.map { (d, $0) } } }
            let normalisation = try ScoreNormalisation(dlibDistances: measured.map(\.0), sfaceSimilarities: measured.map(\.1))
            return ModelComparisonRow(name: name, lfw: try LFWProtocol(fusing: fusion),
                                      identification: identification(gallery) {
                                          normalisation.fusedDistance(dlibDistance: gallery.dlibDistance(matrixName(template), $0, $1),
                                                                      sfaceSimilarity: gallery.sfaceSimilarity($0, $1))
                                      })
        }
        return [
            try dlibRow("reference: face_recognition (dlib, HOG, one chip)", \.reference),
            try dlibRow("today's default (dlib, HOG, mirrored)", \.standard),
            try dlibRow("dlib on YuNet faces, mirrored", \.dlibOnYuNet),
            try sfaceRow(),
            try fusedRow("fusion: today's default + SFace", \.standard),
            try fusedRow("fusion: dlib on YuNet + SFace (one detection)", \.dlibOnYuNet),
        ]
    }

    /// Bands for the default pipeline (dlib on YuNet's faces, and SFace) on the dev set: the
    /// thresholds on every pair of photos, whose millions of different-person pairs resolve
    /// false-match rates far below what the 2,400 of the pairs file can (`FusedCalibration`).
    /// The fused distance keeps the shipped normalisation as its fixed unit, so that the fused
    /// distances in earlier audit entries and case reports stay comparable with new ones.
    static func calibrations(gallery: PhotoGallery, targetFMR: Double, source: String) throws -> (dlib: Calibration, fused: FusedBands) {
        let held = (0..<gallery.person.count).filter { gallery.dlibDistance("dlibOnYuNet", $0, $0) != nil && gallery.sfaceSimilarity($0, $0) != nil }
        return try FusedCalibration.measure(
            identities: held.map { String(gallery.person[$0]) }, normalisation: FusedBands.standard.normalisation,
            dlibReviewDistance: SubjectRights.reviewDistance, targetFMR: targetFMR, source: source,
            dlibDistance: { gallery.dlibDistance("dlibOnYuNet", held[$0], held[$1])! },
            sfaceSimilarity: { gallery.sfaceSimilarity(held[$0], held[$1])! })
    }

    /// The share of a person's photos an erasure request shows its reviewer (`ErasureReach`),
    /// from the selfie alone and widened by the faces confirmed, for dlib on YuNet's faces alone
    /// and for the fusion, over the photos where YuNet found a face, each at its own review
    /// distance.
    static func erasureReach(gallery: PhotoGallery, fused: FusedBands, dlibPossible: Float) -> [(name: String, reach: ErasureReach)] {
        let held = (0..<gallery.person.count).filter { gallery.dlibDistance("dlibOnYuNet", $0, $0) != nil && gallery.sfaceSimilarity($0, $0) != nil }
        let identities = held.map { String(gallery.person[$0]) }
        func dlib(_ i: Int, _ j: Int) -> Float { gallery.dlibDistance("dlibOnYuNet", held[i], held[j])! }
        func fusedDistance(_ i: Int, _ j: Int) -> Float {
            fused.fusedDistance(dlibDistance: dlib(i, j), sfaceSimilarity: gallery.sfaceSimilarity(held[i], held[j])!)
        }
        return [false, true].flatMap { widen in
            [("dlib on YuNet faces alone" + (widen ? ", widened" : ""),
              ErasureReach.measure(identities: identities, reviewDistance: SubjectRights.reviewDistance,
                                   tickDistance: dlibPossible, widen: widen, distance: dlib)),
             ("fusion" + (widen ? ", widened" : ""),
              ErasureReach.measure(identities: identities, reviewDistance: fused.reviewDistance,
                                   tickDistance: fused.thresholds.possible, widen: widen, distance: fusedDistance))]
        }
    }

    static func table(_ rows: [ModelComparisonRow]) -> String {
        let folds = rows.first?.lfw.folds.map(\.fold) ?? []
        var lines = ["| pipeline | mean ± SD | errors | " + folds.map { "fold \($0)" }.joined(separator: " | ")
                     + " | TAR @ FAR 1e-3 | rank-1 | rank-5 |",
                     "|---|---|---|" + String(repeating: "---|", count: folds.count) + "---|---|---|"]
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "–" }
        for row in rows {
            let lfw = row.lfw
            let tar = lfw.tarAtFAR.map { String(format: "%.2f%% (%d of %d impostors accepted)", $0.trueAcceptRate * 100, $0.falseAccepts, $0.impostorPairs) } ?? "–"
            lines.append("| \(row.name) | " + String(format: "%.2f%% ± %.2f", lfw.meanAccuracy * 100, lfw.accuracyStandardDeviation * 100)
                         + " | \(lfw.errors) of \(lfw.pairCount) (\(lfw.missingDistances) without a face) | "
                         + lfw.folds.map { percent($0.accuracy) }.joined(separator: " | ")
                         + " | \(tar) | \(percent(row.identification.rank1Rate)) | \(percent(row.identification.rank5Rate)) |")
        }
        return lines.joined(separator: "\n")
    }

    private static func distance(_ a: FaceTemplate?, _ b: FaceTemplate?) -> Float? {
        guard let a, let b else { return nil }
        return a.distance(to: b)
    }

    private static func similarity(_ a: FaceTemplate?, _ b: FaceTemplate?) -> Float? {
        guard let a, let b else { return nil }
        return zip(a.values, b.values).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Rank-1/5 over the labelled photos, each against all others (nearest first, ties by label
    /// order), without sorting 6,000 candidates per probe. Each photo of another person ranked
    /// ahead costs a place, where `IdentificationProbe.rankOfIdentity` counts people: rank-1 is
    /// the same either way, and rank-5 here is the stricter. A photo without the pipeline's template is in no
    /// gallery, and as a probe it is a miss if its person has another photo with one.
    private static func identification(_ gallery: PhotoGallery, distance: (Int, Int) -> Float?) -> Identification {
        let count = gallery.person.count
        let held = (0..<count).filter { distance($0, $0) != nil }
        var heldPerPerson = [Int](repeating: 0, count: gallery.personCount)
        for i in held { heldPerPerson[gallery.person[i]] += 1 }
        var isHeld = [Bool](repeating: false, count: count)
        for i in held { isHeld[i] = true }
        var identification = Identification()
        var distances = [Float](repeating: 0, count: count)
        for probe in 0..<count {
            let person = gallery.person[probe]
            guard heldPerPerson[person] - (isHeld[probe] ? 1 : 0) > 0 else { continue }
            identification.probes += 1
            guard isHeld[probe] else { continue }
            var nearestSame = -1
            for i in held where i != probe {
                distances[i] = distance(probe, i)!
                if gallery.person[i] == person, nearestSame < 0 || distances[i] < distances[nearestSame] { nearestSame = i }
            }
            guard nearestSame >= 0 else { continue }
            var rank = 1
            for i in held where i != probe && gallery.person[i] != person {
                if distances[i] < distances[nearestSame] || (distances[i] == distances[nearestSame] && i < nearestSame) { rank += 1 }
            }
            if rank <= 1 { identification.rank1 += 1 }
            if rank <= 5 { identification.rank5 += 1 }
        }
        return identification
    }
}

/// The labelled photos with every pipeline's all-against-all scores, from one matrix product
/// each (BLAS): 6,000 photos make 37 million pairs, too many to score one at a time.
struct PhotoGallery {
    /// Each photo's person, as an index.
    let person: [Int]
    let personCount: Int
    private let count: Int
    /// Per pipeline: squared Euclidean distances (dlib) or dot products (SFace), row-major;
    /// NaN where a photo has no template.
    private var matrices: [String: [Float]] = [:]

    init(labels: LabelSet, templates: [String: ModelTemplates]) {
        let labelled = labels.photos.filter { $0.identity != nil }
        var people: [String: Int] = [:]
        person = labelled.map { photo in
            if let known = people[photo.identity!] { return known }
            people[photo.identity!] = people.count
            return people.count - 1
        }
        personCount = people.count
        count = labelled.count
        for (name, path) in [("reference", \ModelTemplates.reference), ("standard", \.standard),
                             ("dlibOnYuNet", \.dlibOnYuNet), ("sface", \.sface)] {
            let vectors = labelled.map { templates[$0.file]?[keyPath: path] }
            matrices[name] = Self.scores(vectors, squaredDistances: name != "sface")
        }
    }

    /// dlib's distance between photos i and j under a pipeline's templates.
    func dlibDistance(_ pipeline: String, _ i: Int, _ j: Int) -> Float? {
        let value = matrices[pipeline]![i * count + j]
        return value.isNaN ? nil : value.squareRoot()
    }

    func sfaceSimilarity(_ i: Int, _ j: Int) -> Float? {
        let value = matrices["sface"]![i * count + j]
        return value.isNaN ? nil : value
    }

    private static func scores(_ vectors: [FaceTemplate?], squaredDistances: Bool) -> [Float] {
        let n = vectors.count, dimension = FaceTemplate.dimension
        var flat = [Float](repeating: 0, count: n * dimension)
        for (i, vector) in vectors.enumerated() {
            if let vector { flat.replaceSubrange((i * dimension)..<((i + 1) * dimension), with: vector.values) }
        }
        var products = [Float](repeating: 0, count: n * n)
        flat.withUnsafeBufferPointer { flat in
            products.withUnsafeMutableBufferPointer { products in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(dimension),
                            1, flat.baseAddress!, Int32(dimension), flat.baseAddress!, Int32(dimension),
                            0, products.baseAddress!, Int32(n))
            }
        }
        var norms = [Float](repeating: 0, count: n)
        for i in 0..<n { norms[i] = products[i * n + i] }
        for i in 0..<n {
            for j in 0..<n {
                if vectors[i] == nil || vectors[j] == nil {
                    products[i * n + j] = .nan
                } else if squaredDistances {
                    products[i * n + j] = max(0, norms[i] + norms[j] - 2 * products[i * n + j])
                }
            }
        }
        return products
    }
}

/// Rank-1/5 hits among the probes whose person has another photo in the gallery.
struct Identification {
    var probes = 0
    var rank1 = 0
    var rank5 = 0

    var rank1Rate: Double? { probes > 0 ? Double(rank1) / Double(probes) : nil }
    var rank5Rate: Double? { probes > 0 ? Double(rank5) / Double(probes) : nil }
}
