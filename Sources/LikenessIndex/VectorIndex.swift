import LikenessCore

/// A search result: a face and its Euclidean distance (not squared) from the query.
public struct Neighbor: Sendable, Hashable {
    public var id: FaceID
    public var distance: Float

    public init(id: FaceID, distance: Float) {
        self.id = id
        self.distance = distance
    }
}

/// Nearest-neighbour search over face templates. The database is the source of truth; an
/// index mirrors it by replaying the database's change log, and records how far it got.
/// Methods are `async throws` so an index in another process (Milvus) can conform and say
/// when it cannot be reached, rather than answer 0.
public protocol VectorIndex: AnyObject, Sendable {
    var count: Int { get async throws }
    /// The sequence number of the last database change-log entry this index reflects (0 = none).
    var appliedSequence: Int64 { get async throws }
    /// Adds entries; an entry whose id is already indexed replaces it (upsert).
    func insert(_ entries: [IndexEntry], through sequence: Int64) async throws
    /// Removes entries; unknown ids are ignored.
    func remove(_ ids: [FaceID], through sequence: Int64) async throws
    /// Empties the index and resets `appliedSequence` to 0.
    func removeAll() async throws
    /// The `k` nearest entries by Euclidean distance, ascending; `collections` nil = all,
    /// else only entries whose collection is in the set.
    func nearest(to query: FaceTemplate, k: Int, in collections: Set<CollectionID>?) async throws -> [Neighbor]
    /// Writes the index to its file so a later open starts from here.
    func persist() async throws
}
