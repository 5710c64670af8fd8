/// The centroids that split an index into inverted lists, trained as a two-level k-means:
/// first `groups` coarse centroids, then the points of each group into that group's share of
/// the lists. An entry belongs to the nearest list of its nearest group.
///
/// Why two levels: a flat k-means into L lists costs every training point and every stored
/// entry L distances. At ten million entries (L ≈ 25,000) that was a half-hour training and
/// a reassignment as long; with √L groups of √L lists each it is about 2·√L distances, which
/// brings both down to seconds. A search still ranks all L list centroids flatly (a fraction
/// of a millisecond), so probing is unchanged.
struct CoarseQuantizer {
    /// Row `i` (128 floats) is the centroid of list `i`; lists are ordered by group.
    let centroids: [Float]
    /// Row `g` is the centroid of group `g`.
    let groupCentroids: [Float]
    /// Group `g` owns lists `groupStarts[g] ..< groupStarts[g + 1]` (one more element than groups).
    let groupStarts: [Int]

    var listCount: Int { centroids.count / dimension }
    var groupCount: Int { groupStarts.count - 1 }

    init(centroids: [Float], groupCentroids: [Float], groupStarts: [Int]) {
        precondition(groupCentroids.count == (groupStarts.count - 1) * dimension && groupStarts.first == 0
                     && groupStarts.last == centroids.count / dimension && zip(groupStarts, groupStarts.dropFirst()).allSatisfy { $0 < $1 },
                     "every group owns at least one list, in order")
        self.centroids = centroids
        self.groupCentroids = groupCentroids
        self.groupStarts = groupStarts
    }

    /// A single group: every entry is compared with every list centroid.
    init(flat centroids: [Float]) {
        let listCount = centroids.count / dimension
        var mean = [Float](repeating: 0, count: dimension)
        for list in 0..<listCount {
            for d in 0..<dimension { mean[d] += centroids[list * dimension + d] / Float(listCount) }
        }
        self.init(centroids: centroids, groupCentroids: mean, groupStarts: [0, listCount])
    }

    /// About `listCount` lists trained on `sample` (rows of 128 floats): √listCount groups,
    /// each split into lists in proportion to its share of the sample.
    init(trainedOn sample: UnsafeBufferPointer<Float>, listCount: Int, iterations: Int,
         using generator: inout some RandomNumberGenerator) {
        let pointCount = sample.count / dimension
        precondition(listCount > 1 && listCount <= pointCount, "between 2 lists and one per sample point")
        let groupCount = max(1, Int(Double(listCount).squareRoot().rounded()))
        let groupCentroids = KMeans.train(points: sample, clusters: groupCount, iterations: iterations, using: &generator)
        let membership = groupCentroids.withUnsafeBufferPointer { BlockedDistances.nearestCentroid(of: sample, among: $0) }
        let members = Self.rowsByGroup(membership, groupCount: groupCount)
        var centroids = [Float](), starts = [0], keptGroups = [Float]()
        centroids.reserveCapacity((listCount + groupCount) * dimension)
        for group in 0..<groupCount where !members[group].isEmpty {
            let points = Self.gather(members[group], from: sample)
            let share = Int((Double(listCount) * Double(members[group].count) / Double(pointCount)).rounded())
            let lists = min(max(1, share), members[group].count)
            centroids += points.withUnsafeBufferPointer { KMeans.train(points: $0, clusters: lists, iterations: iterations, using: &generator) }
            starts.append(starts.last! + lists)
            keptGroups += groupCentroids[group * dimension ..< (group + 1) * dimension]
        }
        self.init(centroids: centroids, groupCentroids: keptGroups, groupStarts: starts)
    }

    /// For each row of `vectors`, its list: the nearest list centroid within the nearest group.
    func assign(_ vectors: UnsafeBufferPointer<Float>) -> [Int32] {
        if groupCount == 1 {
            return centroids.withUnsafeBufferPointer { BlockedDistances.nearestCentroid(of: vectors, among: $0) }
        }
        let groups = groupCentroids.withUnsafeBufferPointer { BlockedDistances.nearestCentroid(of: vectors, among: $0) }
        var lists = [Int32](repeating: 0, count: groups.count)
        for (group, rows) in Self.rowsByGroup(groups, groupCount: groupCount).enumerated() where !rows.isEmpty {
            let start = groupStarts[group], end = groupStarts[group + 1]
            let nearest = Self.gather(rows, from: vectors).withUnsafeBufferPointer { points in
                centroids.withUnsafeBufferPointer { centroids in
                    BlockedDistances.nearestCentroid(
                        of: points, among: UnsafeBufferPointer(rebasing: centroids[start * dimension ..< end * dimension]))
                }
            }
            for (row, list) in zip(rows, nearest) { lists[row] = Int32(start) + list }
        }
        return lists
    }

    private static func rowsByGroup(_ membership: [Int32], groupCount: Int) -> [[Int]] {
        var rows = [[Int]](repeating: [], count: groupCount)
        for (row, group) in membership.enumerated() { rows[Int(group)].append(row) }
        return rows
    }

    private static func gather(_ rows: [Int], from vectors: UnsafeBufferPointer<Float>) -> [Float] {
        var gathered = [Float]()
        gathered.reserveCapacity(rows.count * dimension)
        for row in rows { gathered += vectors[row * dimension ..< (row + 1) * dimension] }
        return gathered
    }
}
