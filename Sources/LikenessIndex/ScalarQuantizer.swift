import CVectorKernels

/// 8-bit scalar quantization (SQ8): each of a vector's 128 components becomes one byte, so a
/// search scans 128 bytes per entry instead of 512. Component `d` is coded as
/// `((value - minimums[d]) / step).rounded()`, clamped to 0...255.
///
/// Every dimension has its own offset but all share one step: then the distance between two
/// codes, in steps, is proportional to the distance between the vectors they stand for (up
/// to rounding), which lets the scan use an integer kernel. Per-dimension steps would be finer
/// in the narrow dimensions but would weight dimensions unequally in that integer distance.
struct ScalarQuantizer {
    /// The value coded as 0, per dimension.
    let minimums: [Float]
    /// The value between consecutive codes.
    let step: Float

    /// Fitted to `sample` (rows of 128 floats): the widest dimension's range, widened by
    /// `headroom` of itself on each side for values beyond the sample, sets the step; each
    /// dimension's range is centred in the 256 codes. Assumes nothing about vector length.
    init(fittedTo sample: UnsafeBufferPointer<Float>, headroom: Float = 0.05) {
        precondition(sample.count >= dimension && sample.count % dimension == 0, "a sample of whole \(dimension)-float rows")
        var lows = Array(sample[0 ..< dimension]), highs = lows
        for row in stride(from: dimension, to: sample.count, by: dimension) {
            for d in 0..<dimension {
                lows[d] = min(lows[d], sample[row + d])
                highs[d] = max(highs[d], sample[row + d])
            }
        }
        let widest = zip(lows, highs).map { $1 - $0 }.max()!
        // A sample of identical vectors has no range; any positive step codes it exactly.
        let step = max(widest * (1 + 2 * headroom), .leastNormalMagnitude * 255) / 255
        self.init(minimums: zip(lows, highs).map { ($0 + $1) / 2 - 127.5 * step }, step: step)
    }

    init(minimums: [Float], step: Float) {
        precondition(minimums.count == dimension && step > 0 && step.isFinite, "a quantizer needs \(dimension) offsets and a positive step")
        self.minimums = minimums
        self.step = step
    }

    /// Writes the 128 codes of `vector` to `codes`.
    func encode(_ vector: UnsafePointer<Float>, into codes: UnsafeMutablePointer<UInt8>) {
        for d in 0..<dimension {
            codes[d] = UInt8(min(255, max(0, ((vector[d] - minimums[d]) / step).rounded())))
        }
    }

    /// The codes of every row of `vectors`, back to back.
    func encode(_ vectors: UnsafeBufferPointer<Float>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: vectors.count) { codes, initialized in
            for row in 0 ..< vectors.count / dimension {
                encode(vectors.baseAddress! + row * dimension, into: codes.baseAddress! + row * dimension)
            }
            initialized = vectors.count
        }
    }
}

/// For each of the `distances.count` codes at `codes` (128 bytes each), its squared distance
/// from `query`'s codes in steps squared; `ScalarQuantizer` makes that proportional to the
/// squared distance between the vectors, give or take the rounding.
@inline(__always)
func squaredCodeDistances(_ query: UnsafePointer<UInt8>, _ codes: UnsafePointer<UInt8>, into distances: UnsafeMutableBufferPointer<UInt32>) {
    lk_sq8_squared_distances(query, codes, distances.count, distances.baseAddress!)
}
