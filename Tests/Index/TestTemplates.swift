import LikenessCore
import LikenessIndex

/// Random templates for index tests: vectors of length `norm` in clusters, so trained lists
/// mean something, plus the brute-force answer the index is checked against.
enum TestTemplates {
    static func clustered(count: Int, clusters: Int = 40, norm: Float = 1, seed: UInt64) -> [FaceTemplate] {
        var generator = SplitMix64(seed: seed)
        let centres = (0..<clusters).map { _ in unitVector(around: nil, spread: 1, using: &generator) }
        return (0..<count).map { _ in
            FaceTemplate(unitVector(around: centres.randomElement(using: &generator)!, spread: 0.08, using: &generator).map { $0 * norm })
        }
    }

    static func entries(_ templates: [FaceTemplate], firstID: FaceID = 1,
                        collection: (Int) -> CollectionID = { _ in 1 }) -> [IndexEntry] {
        templates.enumerated().map { IndexEntry(id: firstID + FaceID($0.offset), collection: collection($0.offset), template: $0.element,
                   image: firstID + FaceID($0.offset), organization: 1, jurisdiction: "GB") }
    }

    /// The exact `k` nearest entries, by the reference distance of `FaceTemplate`.
    static func bruteForce(_ query: FaceTemplate, among entries: [IndexEntry], k: Int,
                           in collections: Set<CollectionID>? = nil) -> [Neighbor] {
        let candidates = entries.filter { collections?.contains($0.collection) ?? true }
        return Array(candidates.map { Neighbor(id: $0.id, distance: $0.template.distance(to: query)) }
            .sorted { ($0.distance, $0.id) < ($1.distance, $1.id) }
            .prefix(k))
    }

    private static func unitVector(around centre: [Float]?, spread: Float, using generator: inout SplitMix64) -> [Float] {
        var vector = (0..<FaceTemplate.dimension).map { index in
            (centre?[index] ?? 0) + spread * Float.random(in: -1...1, using: &generator)
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for index in vector.indices { vector[index] /= norm }
        return vector
    }
}
