/// A gallery photo as a search returned it for a probe.
public struct RankedCandidate: Sendable, Hashable {
    public var file: String
    /// Nil for an unlabelled photo, which can only push the right identity down the list.
    public var identity: String?
    public var distance: Float

    public init(file: String, identity: String?, distance: Float) {
        self.file = file
        self.identity = identity
        self.distance = distance
    }
}

/// A labelled photo searched against the others, with the candidates nearest first.
public struct IdentificationProbe: Sendable, Hashable {
    public var file: String
    public var identity: String
    public var candidates: [RankedCandidate]

    public init(file: String, identity: String, candidates: [RankedCandidate]) {
        self.file = file
        self.identity = identity
        self.candidates = candidates
    }

    /// The rank (1 = first) at which the probe's identity comes up, counting identities rather
    /// than photos: five photos of one wrong person ahead of the right one cost one rank, not
    /// five. Each unlabelled candidate counts as a person of its own. Nil when no other photo
    /// of the identity is among the candidates.
    public var rankOfIdentity: Int? {
        var seen = Set<String>()
        var rank = 0
        for candidate in candidates {
            guard let identity = candidate.identity else {
                rank += 1
                continue
            }
            if identity == self.identity { return rank + 1 }
            if seen.insert(identity).inserted { rank += 1 }
        }
        return nil
    }

    /// The probe against only the candidates in `files`.
    public func restricted(to files: Set<String>) -> IdentificationProbe {
        IdentificationProbe(file: file, identity: identity, candidates: candidates.filter { files.contains($0.file) })
    }

    /// Every labelled photo as a probe against all the others, nearest first (ties by file
    /// name, so the order does not depend on input order). Pass only photos that have a
    /// template; `distance(i, j)` compares `photos[i]` with `photos[j]`.
    public static func allAgainstAll(_ photos: [LabelledPhoto], distance: (Int, Int) -> Float) -> [IdentificationProbe] {
        photos.indices.compactMap { probe in
            guard let identity = photos[probe].identity else { return nil }
            let candidates = photos.indices.filter { $0 != probe }.map {
                RankedCandidate(file: photos[$0].file, identity: photos[$0].identity, distance: distance(probe, $0))
            }.sorted { ($0.distance, $0.file) < ($1.distance, $1.file) }
            return IdentificationProbe(file: photos[probe].file, identity: identity, candidates: candidates)
        }
    }
}

/// Rank-1 and rank-5 identification rates. Probes whose identity has no other photo among
/// their candidates cannot be found by anyone; they are left out of the rates and counted.
public struct IdentificationMetrics: Sendable, Hashable {
    /// Probes that count towards the rates.
    public let probes: Int
    public let excludedProbes: Int
    public let rank1Hits: Int
    public let rank5Hits: Int

    public init(probes: [IdentificationProbe]) {
        let ranks = probes.map(\.rankOfIdentity)
        let found = ranks.compactMap { $0 }
        self.probes = found.count
        excludedProbes = ranks.count - found.count
        rank1Hits = found.filter { $0 <= 1 }.count
        rank5Hits = found.filter { $0 <= 5 }.count
    }

    /// Nil without countable probes.
    public var rank1: Double? { probes > 0 ? Double(rank1Hits) / Double(probes) : nil }
    public var rank5: Double? { probes > 0 ? Double(rank5Hits) / Double(probes) : nil }
}
