import CBLAS
import LikenessCore

let dimension = FaceTemplate.dimension

/// Squared Euclidean distance between two 128-float vectors, 16 lanes at a time with two
/// accumulators so the additions of consecutive chunks don't wait on each other.
@inline(__always)
func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
    let a = UnsafeRawPointer(a), b = UnsafeRawPointer(b)
    var even = SIMD16<Float>(), odd = SIMD16<Float>()
    var offset = 0
    while offset < dimension * MemoryLayout<Float>.stride {
        let d0 = a.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            - b.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
        let d1 = a.loadUnaligned(fromByteOffset: offset + 64, as: SIMD16<Float>.self)
            - b.loadUnaligned(fromByteOffset: offset + 64, as: SIMD16<Float>.self)
        even += d0 * d0
        odd += d1 * d1
        offset += 128
    }
    // Halving by hand: the generic `sum()` is an out-of-line lane-by-lane loop, which cost a
    // third of the scan time.
    let sum16 = even + odd
    let sum8 = sum16.lowHalf + sum16.highHalf
    let sum4 = sum8.lowHalf + sum8.highHalf
    return (sum4[0] + sum4[1]) + (sum4[2] + sum4[3])
}

/// The `capacity` smallest (key, item) pairs seen so far, kept sorted ascending. Candidates
/// are checked against `worst` first, so the sorted insert runs only for actual improvements.
struct BoundedNearest<Item> {
    let capacity: Int
    private(set) var keys: [Float] = []
    private(set) var items: [Item] = []

    init(capacity: Int) {
        self.capacity = capacity
        keys.reserveCapacity(capacity + 1)
        items.reserveCapacity(capacity + 1)
    }

    var count: Int { keys.count }

    var isFull: Bool { keys.count >= capacity }

    /// Keys at or above this cannot enter.
    var worst: Float { isFull ? keys[keys.count - 1] : .infinity }

    @inline(__always)
    mutating func offer(_ key: Float, _ item: Item) {
        guard key < worst else { return }
        var low = 0, high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if keys[mid] <= key { low = mid + 1 } else { high = mid }
        }
        keys.insert(key, at: low)
        items.insert(item, at: low)
        if keys.count > capacity {
            keys.removeLast()
            items.removeLast()
        }
    }
}

/// The indices of the `count` smallest of `values`, smallest first. A quickselect finds the
/// `count`-th smallest in linear time: keeping the smallest in a sorted bounded list instead
/// costs a shift of hundreds of elements per improvement when `count` is in the hundreds.
func indicesOfSmallest(_ count: Int, of values: [Float]) -> [Int] {
    precondition(count > 0 && count <= values.count, "between 1 and all of the values")
    var partitioned = values
    var low = 0, high = partitioned.count - 1
    let target = count - 1
    while low < high {
        // Hoare partition: afterwards [low, j] ≤ pivot ≤ [i, high], and anything between equals it.
        let pivot = partitioned[(low + high) / 2]
        var i = low, j = high
        while i <= j {
            while partitioned[i] < pivot { i += 1 }
            while partitioned[j] > pivot { j -= 1 }
            if i <= j {
                partitioned.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if target <= j { high = j } else if target >= i { low = i } else { break }
    }
    let threshold = partitioned[target]
    var chosen = values.indices.filter { values[$0] < threshold }
    chosen += values.indices.lazy.filter { values[$0] == threshold }.prefix(count - chosen.count)
    return chosen.sorted { values[$0] < values[$1] }
}

/// Exact squared distances between many vectors at once: ‖q‖² − 2·q·b + ‖b‖², with the dot
/// products from one `cblas_sgemm` per block (far faster than vector-at-a-time loops).
enum BlockedDistances {
    /// Calls `body(queryIndex, baseStart, distances)` for each query and each block of base
    /// vectors, where `distances[j]` is the squared distance to base vector `baseStart + j`.
    static func forEach(queries: UnsafeBufferPointer<Float>, base: UnsafeBufferPointer<Float>,
                        baseBlock: Int = 16_384, queryBlock: Int = 512,
                        _ body: (_ query: Int, _ baseStart: Int, _ distances: UnsafeBufferPointer<Float>) -> Void) {
        let queryCount = queries.count / dimension, baseCount = base.count / dimension
        guard queryCount > 0, baseCount > 0 else { return }
        let queryNorms = squaredNorms(queries), baseNorms = squaredNorms(base)
        let blockRows = min(queryBlock, queryCount), blockColumns = min(baseBlock, baseCount)
        var products = [Float](repeating: 0, count: blockRows * blockColumns)
        products.withUnsafeMutableBufferPointer { products in
            baseNorms.withUnsafeBufferPointer { baseNorms in
                for baseStart in stride(from: 0, to: baseCount, by: blockColumns) {
                    let columns = min(blockColumns, baseCount - baseStart)
                    for queryStart in stride(from: 0, to: queryCount, by: blockRows) {
                        let rows = min(blockRows, queryCount - queryStart)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                                    Int32(rows), Int32(columns), Int32(dimension),
                                    -2, queries.baseAddress! + queryStart * dimension, Int32(dimension),
                                    base.baseAddress! + baseStart * dimension, Int32(dimension),
                                    0, products.baseAddress!, Int32(columns))
                        for row in 0..<rows {
                            let distances = products.baseAddress! + row * columns
                            let queryNorm = queryNorms[queryStart + row]
                            let norms = baseNorms.baseAddress! + baseStart
                            for column in 0..<columns {
                                // Rounding can push an exact match a hair below zero.
                                distances[column] = max(0, distances[column] + queryNorm + norms[column])
                            }
                            body(queryStart + row, baseStart, UnsafeBufferPointer(start: distances, count: columns))
                        }
                    }
                }
            }
        }
    }

    /// For each vector in `vectors`, the index of the nearest vector in `centroids`.
    static func nearestCentroid(of vectors: UnsafeBufferPointer<Float>, among centroids: UnsafeBufferPointer<Float>) -> [Int32] {
        var nearest = [Int32](repeating: 0, count: vectors.count / dimension)
        var best = [Float](repeating: .infinity, count: nearest.count)
        nearest.withUnsafeMutableBufferPointer { nearest in
            best.withUnsafeMutableBufferPointer { best in
                forEach(queries: vectors, base: centroids) { query, baseStart, distances in
                    var bestDistance = best[query], bestOffset = -1
                    for offset in distances.indices where distances[offset] < bestDistance {
                        bestDistance = distances[offset]
                        bestOffset = offset
                    }
                    if bestOffset >= 0 {
                        best[query] = bestDistance
                        nearest[query] = Int32(baseStart + bestOffset)
                    }
                }
            }
        }
        return nearest
    }

    static func squaredNorms(_ vectors: UnsafeBufferPointer<Float>) -> [Float] {
        (0..<vectors.count / dimension).map { row in
            let start = vectors.baseAddress! + row * dimension
            return cblas_sdot(Int32(dimension), start, 1, start, 1)
        }
    }
}

/// Exact k-nearest-neighbour search by brute force: the ground truth that approximate
/// search is measured against.
public enum ExactSearch {
    /// For each query (rows of 128 floats), the indices of its `k` nearest rows of `base`
    /// with their Euclidean distances, ascending.
    public static func nearest(queries: [Float], base: UnsafeBufferPointer<Float>, k: Int) -> [[(index: Int, distance: Float)]] {
        precondition(queries.count % dimension == 0 && base.count % dimension == 0, "rows of \(dimension) floats")
        var results = (0..<queries.count / dimension).map { _ in BoundedNearest<Int>(capacity: k) }
        queries.withUnsafeBufferPointer { queries in
            BlockedDistances.forEach(queries: queries, base: base) { query, baseStart, distances in
                var worst = results[query].worst
                for offset in distances.indices where distances[offset] < worst {
                    results[query].offer(distances[offset], baseStart + offset)
                    worst = results[query].worst
                }
            }
        }
        return results.map { best in zip(best.items, best.keys).map { ($0, $1.squareRoot()) } }
    }
}
