import Foundation
import LikenessCore
import LikenessEngine
import LikenessEvaluation
import LikenessIngest
import LikenessSearch

/// Whether a photo searched as the server searches a probe finds its person as often as the
/// gallery's own templates find each other (`eval --probe-path`). A search computes its
/// probe's templates its own way (`ProbeAnalysis`: a quick 640 px look first, a large JPEG
/// decoded shrunk, the models on two engines), ingest another (`ImageAnalysis`); a quicker look
/// that moved the landmarks would change templates, and with them who is found first.
///
/// Each labelled photo's largest face is held as ingest stores it; each photo is then a probe,
/// both ways, against all the others, ranked as `FaceSearcher` ranks: the index's
/// `candidatePool` nearest by dlib's distance (exact here, where the index's recall is 0.99),
/// re-scored and ordered by `CandidateScore`.
struct ProbePathEvaluation: Sendable {
    struct Photo: Sendable {
        var file: String
        /// Its person, as an index; nil for an unlabelled photo, which is no probe.
        var person: Int?
        /// The largest face's templates as ingest stores them; nil with no face found.
        var stored: FaceTemplates?
        /// The same photo's templates as a search computes them; nil with no face found.
        var probe: FaceTemplates?
    }

    var photos: [Photo]
    var failures: [String: String]
    var seconds: Double

    static func compute(_ labels: LabelSet, workers: Int) async throws -> ProbePathEvaluation {
        let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: workers)
        defer { pool.shutdown() }
        let analysis = ProbeAnalysis(pool: pool)
        var people: [String: Int] = [:]
        let persons = labels.photos.map { photo in
            photo.identity.map { identity in
                if let known = people[identity] { return known }
                people[identity] = people.count
                return people.count - 1
            }
        }
        let started = ContinuousClock.now
        typealias Outcome = (index: Int, result: Result<(FaceTemplates?, FaceTemplates?), any Error>)
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for (index, photo) in labels.photos.enumerated() {
                let url = labels.url(of: photo)
                group.addTask {
                    do {
                        let bytes = try [UInt8](Data(contentsOf: url))
                        let stored = try await pool.run { engine in
                            try ImageAnalysis.analyse(bytes, engine: engine, detection: .standard, templates: .standard).faces.first
                        }.map { FaceTemplates(dlib: $0.template, sface: $0.sfaceTemplate) }
                        let probe: FaceTemplates?
                        do {
                            probe = try await analysis.analyse(try ProbePhoto.decoding(bytes), name: photo.file, face: nil).templates
                        } catch SearchError.noFace {
                            probe = nil
                        }
                        return (index, .success((stored, probe)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var photos = labels.photos.enumerated().map { Photo(file: $1.file, person: persons[$0]) }
        var failures: [String: String] = [:]
        for (index, result) in outcomes {
            switch result {
            case .success(let (stored, probe)): (photos[index].stored, photos[index].probe) = (stored, probe)
            case .failure(let error): failures[photos[index].file] = "\(error)"
            }
        }
        return ProbePathEvaluation(photos: photos, failures: failures, seconds: (ContinuousClock.now - started).seconds)
    }

    /// Which of a photo's templates it searches with.
    enum Probe: Sendable {
        case stored, probePath

        func templates(of photo: Photo) -> FaceTemplates? {
            switch self {
            case .stored: photo.stored
            case .probePath: photo.probe
            }
        }
    }

    /// Rank-1/5 with each photo's `probe` templates (its stored ones, or the search's) against
    /// the stored templates of all the others. A probe counts when its person has another photo
    /// held; it is a miss when it has no templates, or its person is not in its candidate pool.
    func identification(probe: Probe, bands: BandThresholds, fusedBands: FusedBands) async -> Identification {
        // An unlabelled photo is held too, as someone else: it can only push the right person down.
        let held = photos.indices.filter { photos[$0].stored != nil }
        var heldPerPerson: [Int: Int] = [:]
        for i in held { if let person = photos[i].person { heldPerPerson[person, default: 0] += 1 } }
        let pool = FaceSearcher.candidatePool(top: 5)
        // Each probe scores every held photo: 37 million pairs for 6,000 photos, split across the cores.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let ranks = await withTaskGroup(of: [(Int, Int?)].self) { group in
            for core in 0..<cores {
                group.addTask {
                    stride(from: core, to: photos.count, by: cores).map { i in
                        (i, rank(of: i, probe: probe, held: held, pool: pool, bands: bands, fusedBands: fusedBands))
                    }
                }
            }
            return await group.reduce(into: [Int: Int]()) { ranks, chunk in
                for (i, rank) in chunk { ranks[i] = rank }
            }
        }
        var result = Identification()
        for i in photos.indices {
            guard let person = photos[i].person,
                  heldPerPerson[person, default: 0] - (photos[i].stored == nil ? 0 : 1) > 0 else { continue }
            result.probes += 1
            guard let rank = ranks[i] else { continue }
            if rank <= 1 { result.rank1 += 1 }
            if rank <= 5 { result.rank5 += 1 }
        }
        return result
    }

    /// The rank of photo `i`'s person among its candidates, counted as `ModelComparison`
    /// counts (each photo of another person ranked ahead costs a place); nil for a miss.
    private func rank(of i: Int, probe: Probe, held: [Int], pool: Int, bands: BandThresholds, fusedBands: FusedBands) -> Int? {
        guard let person = photos[i].person, let templates = probe.templates(of: photos[i]) else { return nil }
        let nearest = held.filter { $0 != i }.map { j in (j, templates.dlib.distance(to: photos[j].stored!.dlib)) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(pool)
        let scored = nearest.map { j, distance in
            (j, CandidateScore(dlibDistance: distance, probeSFace: templates.sface, candidateSFace: photos[j].stored!.sface,
                               bands: bands, fusedBands: fusedBands))
        }
        func ahead(_ a: (Int, CandidateScore), _ b: (Int, CandidateScore)) -> Bool {
            a.1.ranksAhead(of: b.1) || (!b.1.ranksAhead(of: a.1) && a.0 < b.0)
        }
        let same = scored.filter { photos[$0.0].person == person }
        guard let best = same.min(by: ahead) else { return nil }
        return 1 + scored.filter { photos[$0.0].person != person && ahead($0, best) }.count
    }

    /// Photos whose search templates are not their stored ones (dlib's differ by more than
    /// 1e-4 in a value), and the largest dlib distance between the two.
    var changedTemplates: (count: Int, largestDistance: Float) {
        var count = 0, largest: Float = 0
        for photo in photos {
            guard let stored = photo.stored?.dlib, let probe = photo.probe?.dlib else { continue }
            guard zip(stored.values, probe.values).contains(where: { abs($0 - $1) > 1e-4 }) else { continue }
            count += 1
            largest = max(largest, stored.distance(to: probe))
        }
        return (count, largest)
    }
}
