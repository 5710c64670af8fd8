/// Lloyd's k-means over 128-float vectors, with the assignment step done by `cblas_sgemm`.
enum KMeans {
    /// `clusters` centroids (rows of 128 floats) for `points`. Starts from distinct random
    /// points; an emptied cluster is re-seeded from a point of the largest cluster, so every
    /// centroid ends up owning entries.
    static func train(points: UnsafeBufferPointer<Float>, clusters: Int, iterations: Int,
                      using generator: inout some RandomNumberGenerator) -> [Float] {
        let pointCount = points.count / dimension
        precondition(clusters > 0 && clusters <= pointCount, "k-means needs at least as many points as clusters")
        var centroids = [Float]()
        centroids.reserveCapacity(clusters * dimension)
        for point in (0..<pointCount).shuffled(using: &generator).prefix(clusters) {
            centroids.append(contentsOf: points[point * dimension ..< (point + 1) * dimension])
        }
        var sums = [Double](repeating: 0, count: clusters * dimension)
        var sizes = [Int](repeating: 0, count: clusters)
        for _ in 0..<iterations {
            let assignment = centroids.withUnsafeBufferPointer { BlockedDistances.nearestCentroid(of: points, among: $0) }
            // Sums in Double: a large cluster adds up thousands of floats.
            for i in sums.indices { sums[i] = 0 }
            for i in sizes.indices { sizes[i] = 0 }
            for point in 0..<pointCount {
                let cluster = Int(assignment[point])
                sizes[cluster] += 1
                for d in 0..<dimension { sums[cluster * dimension + d] += Double(points[point * dimension + d]) }
            }
            for cluster in 0..<clusters where sizes[cluster] > 0 {
                for d in 0..<dimension {
                    centroids[cluster * dimension + d] = Float(sums[cluster * dimension + d] / Double(sizes[cluster]))
                }
            }
            reseedEmptyClusters(&centroids, sizes: &sizes, assignment: assignment, points: points, using: &generator)
        }
        return centroids
    }

    /// Moves each empty cluster onto a random member of the currently largest cluster,
    /// nudged slightly so the two split that cluster in the next iteration.
    private static func reseedEmptyClusters(_ centroids: inout [Float], sizes: inout [Int], assignment: [Int32],
                                            points: UnsafeBufferPointer<Float>, using generator: inout some RandomNumberGenerator) {
        for empty in sizes.indices where sizes[empty] == 0 {
            let largest = sizes.indices.max { sizes[$0] < sizes[$1] }!
            let members = assignment.indices.filter { Int(assignment[$0]) == largest }
            let donor = members.randomElement(using: &generator)!
            for d in 0..<dimension {
                centroids[empty * dimension + d] = points[donor * dimension + d] * Float.random(in: 0.999...1.001, using: &generator)
            }
            sizes[empty] = sizes[largest] / 2
            sizes[largest] -= sizes[empty]
        }
    }
}

/// SplitMix64: a small, fast, seedable generator, so training samples (and synthetic
/// benchmark data) are the same on every run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
