import LikenessCore

/// One column of an inverted list. As loaded it is a read-only view into the mapped index
/// file, so opening a large index reads nothing up front; the first change to the list copies
/// it into an array the list owns (copy-on-write per list).
struct ListColumn<Element: BitwiseCopyable> {
    private var mapped: UnsafeBufferPointer<Element>?
    private var owned: [Element] = []

    init() {}

    /// A view of `elements`, which must stay valid while this column uses them (the index
    /// keeps the file mapping alive).
    init(mapped elements: UnsafeBufferPointer<Element>) {
        mapped = elements
    }

    var count: Int { mapped?.count ?? owned.count }

    func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Element>) throws -> Result) rethrows -> Result {
        if let mapped { return try body(mapped) }
        return try owned.withUnsafeBufferPointer(body)
    }

    mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        takeOwnership()
        let needed = owned.count + elements.count
        if needed > owned.capacity {
            // Grown by a quarter rather than doubled: a bulk load touches every list, and
            // doubling left the lists of a ten-million-entry index holding half as much again
            // in spare room (gigabytes) until the next persist mapped them from the file.
            owned.reserveCapacity(max(needed, owned.count + owned.count / 4))
        }
        owned.append(contentsOf: elements)
    }

    /// Moves the last `width` elements over the `width` elements at `start` and shrinks the
    /// column. The vacated tail is zeroed first: a removed template must not linger in
    /// spare capacity (erasure of biometric data depends on it).
    mutating func swapRemove(at start: Int, width: Int) {
        takeOwnership()
        let last = owned.count - width
        owned.withUnsafeMutableBufferPointer { elements in
            if start != last {
                (elements.baseAddress! + start).update(from: elements.baseAddress! + last, count: width)
            }
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(elements)[
                (last * MemoryLayout<Element>.stride)...]).initializeMemory(as: UInt8.self, repeating: 0)
        }
        owned.removeLast(width)
    }

    mutating func reserveCapacity(_ count: Int) {
        takeOwnership()
        owned.reserveCapacity(count)
    }

    private mutating func takeOwnership() {
        guard let elements = mapped else { return }
        owned = Array(elements)
        mapped = nil
    }
}

/// The entries assigned to one centroid (or all entries while the index is untrained), as
/// parallel columns: entry `i` is `ids[i]`, `collections[i]`, the 128 floats at
/// `vectors[i * 128 ..< (i + 1) * 128]` and, once the index is trained, their 128 SQ8 codes at
/// `codes[i * 128 ..< (i + 1) * 128]`. Columns keep the scan a straight walk through memory.
struct InvertedList {
    var ids = ListColumn<FaceID>()
    var collections = ListColumn<CollectionID>()
    /// The exact vectors: what re-ranking, persistence and rebuilding the codes start from.
    var vectors = ListColumn<Float>()
    /// The quantized vectors the trained search scans; empty while untrained.
    var codes = ListColumn<UInt8>()
    /// Counts this list's changes, so a persist can tell which lists are still as written.
    private(set) var revision = 0

    var count: Int { ids.count }

    /// Appends an entry; `code` is nil exactly when the index is untrained.
    mutating func append(id: FaceID, collection: CollectionID, vector: UnsafeBufferPointer<Float>, code: UnsafeBufferPointer<UInt8>?) {
        withUnsafePointer(to: id) { ids.append(contentsOf: UnsafeBufferPointer(start: $0, count: 1)) }
        withUnsafePointer(to: collection) { collections.append(contentsOf: UnsafeBufferPointer(start: $0, count: 1)) }
        vectors.append(contentsOf: vector)
        if let code { codes.append(contentsOf: code) }
        revision += 1
    }

    /// Makes room for `count` entries in all, so appending them allocates nothing more.
    mutating func reserveCapacity(_ count: Int, withCodes: Bool) {
        ids.reserveCapacity(count)
        collections.reserveCapacity(count)
        vectors.reserveCapacity(count * dimension)
        if withCodes { codes.reserveCapacity(count * dimension) }
    }

    /// Removes the entry at `slot` by moving the last entry into it. Returns the id of the
    /// moved entry (nil if the removed one was last), whose location the caller must update.
    mutating func swapRemove(at slot: Int) -> FaceID? {
        let last = count - 1
        let moved = slot == last ? nil : ids.withUnsafeBufferPointer { $0[last] }
        ids.swapRemove(at: slot, width: 1)
        collections.swapRemove(at: slot, width: 1)
        vectors.swapRemove(at: slot * dimension, width: dimension)
        if codes.count > 0 { codes.swapRemove(at: slot * dimension, width: dimension) }
        revision += 1
        return moved
    }

    /// Scans every entry exactly, offering those in `collections` (nil = all) to `best` by
    /// squared distance.
    func scan(query: UnsafePointer<Float>, collections filter: Set<CollectionID>?, into best: inout BoundedNearest<FaceID>) {
        ids.withUnsafeBufferPointer { ids in
            collections.withUnsafeBufferPointer { collections in
                vectors.withUnsafeBufferPointer { vectors in
                    guard var vector = vectors.baseAddress else { return }
                    var worst = best.worst
                    for slot in 0..<ids.count {
                        let distance = squaredDistance(query, vector)
                        vector += dimension
                        // Distance first: it rejects almost everything, so the hash lookup
                        // of the collection filter runs only for would-be results.
                        guard distance < worst else { continue }
                        if let filter, !filter.contains(collections[slot]) { continue }
                        best.offer(distance, ids[slot])
                        worst = best.worst
                    }
                }
            }
        }
    }

    /// Scans every entry's codes, offering the locations of those in `collections` (nil = all)
    /// to `candidates` by approximate squared distance (in code steps squared). This list is
    /// `lists[list]`; `distances` is scratch space, used a block of its size at a time.
    func scanCodes(query: UnsafePointer<UInt8>, list: Int32, collections filter: Set<CollectionID>?,
                   distances: UnsafeMutableBufferPointer<UInt32>, into candidates: inout BoundedNearest<InvertedLists.Location>) {
        codes.withUnsafeBufferPointer { codes in
            collections.withUnsafeBufferPointer { collections in
                var worst = candidates.worst
                for blockStart in stride(from: 0, to: count, by: distances.count) {
                    let block = UnsafeMutableBufferPointer(rebasing: distances[0 ..< min(distances.count, count - blockStart)])
                    squaredCodeDistances(query, codes.baseAddress! + blockStart * dimension, into: block)
                    for (offset, codeDistance) in block.enumerated() {
                        // Exact in Float: code distances stay below 2²⁴.
                        let distance = Float(codeDistance)
                        guard distance < worst else { continue }
                        let slot = blockStart + offset
                        if let filter, !filter.contains(collections[slot]) { continue }
                        candidates.offer(distance, InvertedLists.Location(list: list, slot: Int32(slot)))
                        worst = candidates.worst
                    }
                }
            }
        }
    }
}
