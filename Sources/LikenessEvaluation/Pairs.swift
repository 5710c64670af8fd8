import Foundation

/// Two labelled photos to compare, and whether they show the same person.
public struct LabelledPair: Sendable, Hashable {
    public var a: String
    public var b: String
    public var same: Bool
    /// The cross-validation fold the pair belongs to (LFW's View 2 numbers them), when the
    /// pair file gives one; the LFW protocol tests each fold with a threshold chosen on the others.
    public var fold: Int?

    public init(a: String, b: String, same: Bool, fold: Int? = nil) {
        self.a = a
        self.b = b
        self.same = same
        self.fold = fold
    }
}

public enum PairList {
    /// Parses PAIRS.jsonl: one `{"a": file, "b": file, "same": true|false}` per line, where
    /// both files are listed in the labels, with an optional whole-number `"fold"` (absent or
    /// null: no fold).
    public static func load(file path: String, labels: LabelSet) throws -> [LabelledPair] {
        let known = Set(labels.photos.map(\.file))
        var pairs: [LabelledPair] = []
        for (number, object) in try JSONLines.objects(in: path) {
            let fail = { (message: String) in EvaluationError(file: path, line: number, message) }
            func photo(_ key: String) throws -> String {
                guard let value = object[key] else { throw fail("missing \"\(key)\"") }
                guard case .string(let file) = value else { throw fail("\"\(key)\" must be a file name") }
                guard known.contains(file) else { throw fail("\"\(key)\": \(file) is not in the labels") }
                return file
            }
            let a = try photo("a"), b = try photo("b")
            if a == b { throw fail("\(a) is paired with itself") }
            guard let value = object["same"] else { throw fail("missing \"same\"") }
            guard case .bool(let same) = value else { throw fail("\"same\" must be true or false") }
            var fold: Int?
            if let value = object["fold"], value != .null {
                guard let number = value.wholeNumber else { throw fail("\"fold\" must be a whole number") }
                fold = number
            }
            pairs.append(LabelledPair(a: a, b: b, same: same, fold: fold))
        }
        if pairs.isEmpty { throw EvaluationError("\(path): no pairs") }
        return pairs
    }

    /// Every pair of labelled photos, for calibration, where the number of different-person
    /// pairs sets the smallest false-match rate that can be measured. n photos give n(n−1)/2
    /// pairs, so this suits sets of up to a few thousand photos. Same pairs first, each in label
    /// order.
    public static func all(from labels: LabelSet) -> [LabelledPair] {
        let labelled = labels.photos.filter { $0.identity != nil }
        var same: [LabelledPair] = [], different: [LabelledPair] = []
        for (position, first) in labelled.enumerated() {
            for second in labelled[(position + 1)...] {
                let pair = LabelledPair(a: first.file, b: second.file, same: first.identity == second.identity)
                if pair.same { same.append(pair) } else { different.append(pair) }
            }
        }
        return same + different
    }

    /// Balanced pairs drawn from the labels when no pair file is given: every same-identity pair
    /// (a random `maxSamePairs` of them when there are more), and as many different-identity
    /// pairs drawn at random without repetition. The draw depends only on the labels and the
    /// seed, so two runs over the same labels compare the same pairs. Unlabelled photos are
    /// left out. Pairs list the earlier photo (in label order) first, same pairs first.
    public static func balanced(from labels: LabelSet, maxSamePairs: Int = 10_000,
                                seed: UInt64 = 0x4C69_6B65_6E65_7373) -> [LabelledPair] {
        let labelled = labels.photos.compactMap { photo in photo.identity.map { (file: photo.file, identity: $0) } }
        let identities = labelled.map(\.identity)
        var generator = SplitMix64(seed: seed)

        var samePairs: [IndexPair] = []
        let photosByIdentity = Dictionary(grouping: labelled.indices, by: { identities[$0] })
        for members in photosByIdentity.values {
            for (position, first) in members.enumerated() {
                for second in members[(position + 1)...] { samePairs.append(IndexPair(first, second)) }
            }
        }
        samePairs.sort()  // the dictionary's order varies between runs
        if samePairs.count > maxSamePairs {
            samePairs = Array(generator.shuffled(samePairs).prefix(maxSamePairs)).sorted()
        }

        let photoCount = labelled.count
        let differentPairCount = photoCount * (photoCount - 1) / 2 - photosByIdentity.values.reduce(0) {
            $0 + $1.count * ($1.count - 1) / 2
        }
        let wanted = min(samePairs.count, differentPairCount)
        var differentPairs: [IndexPair]
        if wanted > 0, wanted * 2 >= differentPairCount {
            // Most of the candidates are wanted: list them all (few, since `wanted` is capped)
            // rather than drawing and rejecting repeats.
            var all: [IndexPair] = []
            for first in 0 ..< photoCount {
                for second in first + 1 ..< photoCount where identities[first] != identities[second] {
                    all.append(IndexPair(first, second))
                }
            }
            differentPairs = Array(generator.shuffled(all).prefix(wanted))
        } else {
            var drawn = Set<IndexPair>()
            differentPairs = []
            while differentPairs.count < wanted {
                let first = generator.index(below: photoCount), second = generator.index(below: photoCount)
                guard identities[first] != identities[second] else { continue }
                let pair = IndexPair(first, second)
                if drawn.insert(pair).inserted { differentPairs.append(pair) }
            }
        }
        differentPairs.sort()

        return samePairs.map { LabelledPair(a: labelled[$0.first].file, b: labelled[$0.second].file, same: true) }
            + differentPairs.map { LabelledPair(a: labelled[$0.first].file, b: labelled[$0.second].file, same: false) }
    }
}

/// Two photo positions, the smaller first, so that (a, b) and (b, a) are the same pair.
private struct IndexPair: Hashable, Comparable {
    let first: Int
    let second: Int

    init(_ a: Int, _ b: Int) {
        first = min(a, b)
        second = max(a, b)
    }

    static func < (lhs: IndexPair, rhs: IndexPair) -> Bool {
        (lhs.first, lhs.second) < (rhs.first, rhs.second)
    }
}

/// SplitMix64, seeded, with its own bounded draw and shuffle: the standard library's
/// `random(in:using:)` and `shuffled(using:)` may change between Swift releases, and the
/// sampled pairs must not.
private struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound by multiply-shift, whose bias (below 2⁻³²) does not matter here.
    mutating func index(below bound: Int) -> Int {
        Int(UInt64(bound).multipliedFullWidth(by: next()).high)
    }

    /// Fisher–Yates.
    mutating func shuffled<T>(_ elements: [T]) -> [T] {
        var elements = elements
        for i in stride(from: elements.count - 1, to: 0, by: -1) {
            elements.swapAt(i, index(below: i + 1))
        }
        return elements
    }
}
