import LikenessCore

/// Fused bands measured on labelled photos, on a given normalisation: the thresholds come from
/// every pair of photos, whose many different-person pairs resolve small false-match rates; the
/// review distance admits the share of different-person pairs that dlib's review distance
/// admits on the same photos.
public enum FusedCalibration {
    /// `dlibDistance(i, j)` and `sfaceSimilarity(i, j)` score photos i and j, which belong to
    /// `identities[i]` and `identities[j]`.
    public static func measure(identities: [String], normalisation: ScoreNormalisation, dlibReviewDistance: Float, targetFMR: Double,
                               source: String, dlibDistance: (Int, Int) -> Float, sfaceSimilarity: (Int, Int) -> Float)
        throws -> (dlib: Calibration, fused: FusedBands) {
        var genuineDlib: [Float] = [], impostorDlib: [Float] = [], genuineFused: [Float] = [], impostorFused: [Float] = []
        for i in identities.indices {
            for j in (i + 1)..<identities.count {
                let d = dlibDistance(i, j)
                let fused = normalisation.fusedDistance(dlibDistance: d, sfaceSimilarity: sfaceSimilarity(i, j))!
                if identities[i] == identities[j] {
                    genuineDlib.append(d)
                    genuineFused.append(fused)
                } else {
                    impostorDlib.append(d)
                    impostorFused.append(fused)
                }
            }
        }
        let dlib = try Calibration(genuine: genuineDlib, impostor: impostorDlib, targetFMR: targetFMR, source: source)
        let fused = try Calibration(genuine: genuineFused, impostor: impostorFused, targetFMR: targetFMR, source: source)
        impostorFused.sort()
        let admitted = impostorDlib.filter { $0 <= dlibReviewDistance }.count
        let review = admitted == 0 ? impostorFused[0].nextDown : impostorFused[admitted - 1]
        return (dlib, FusedBands(normalisation: normalisation, thresholds: fused.thresholds, reviewDistance: review))
    }
}
