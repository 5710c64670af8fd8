import LikenessCore

/// A 0…1 estimate of how useful a face is for matching: its resolution (the distance
/// between the eyes) times the sharpness of its aligned chip. A provisional heuristic: faces
/// with fewer than ~30 px between the eyes, or blurred chips, score low.
public enum FaceQuality {
    public static func score(face: DetectedFace, chip: [UInt8], chipSide: Int = DlibFaceEngine.chipSide) -> Double {
        let resolution = min(1, face.interOcularDistance / 30)
        return resolution * min(1, sharpness(chip: chip, side: chipSide) / 150)
    }

    /// Below these a probe still usually finds its match, but misses far more often
    /// (scripts/bench/probe-quality.py: of the degraded probes that missed, 20 of 22 had a chip
    /// sharpness under 15; no undegraded photo did). Such probes get a warning, not a refusal.
    public static let warningSharpness = 15.0
    public static let warningInterOcular = 14.0

    /// Why a probe face is weak evidence, if it is: searching with it may miss its match.
    public static func probeWarning(face: DetectedFace, chip: [UInt8], chipSide: Int = DlibFaceEngine.chipSide) -> String? {
        var reasons: [String] = []
        if face.interOcularDistance < warningInterOcular {
            reasons.append(String(format: "small (%.0f px between the eyes)", face.interOcularDistance))
        }
        let sharpness = sharpness(chip: chip, side: chipSide)
        if sharpness < warningSharpness { reasons.append(String(format: "blurred (sharpness %.0f of at least 15)", sharpness)) }
        guard !reasons.isEmpty else { return nil }
        return "the probe face is " + reasons.joined(separator: " and ")
            + ": matches are often missed with such faces, so no candidate here is not evidence of absence"
    }

    /// For choosing the best of many frames of one face: larger, sharper and more frontal is
    /// better. Unlike `score` it does not saturate, so it still ranks good frames.
    public static func frameScore(face: DetectedFace, chip: [UInt8], chipSide: Int = DlibFaceEngine.chipSide) -> Double {
        face.interOcularDistance * sharpness(chip: chip, side: chipSide).squareRoot() * frontalness(face)
    }

    /// 1 for a face looking at the camera, falling towards 0 as it turns: the nose's sideways
    /// offset from between the eyes, relative to the distance between them.
    public static func frontalness(_ face: DetectedFace) -> Double {
        guard face.landmarks.count == 5, face.interOcularDistance > 0 else { return 1 }
        let l = face.landmarks
        let midX = Double(l[0].x + l[1].x + l[2].x + l[3].x) / 4
        return max(0.05, 1 - abs(Double(l[4].x) - midX) / face.interOcularDistance)
    }

    /// Variance of the Laplacian of the chip's grey levels: high for crisp edges, low for blur.
    static func sharpness(chip: [UInt8], side: Int) -> Double {
        func grey(_ x: Int, _ y: Int) -> Double {
            let i = (y * side + x) * 3
            return (Double(chip[i]) + Double(chip[i + 1]) + Double(chip[i + 2])) / 3
        }
        var sum = 0.0, sumOfSquares = 0.0
        for y in 1..<(side - 1) {
            for x in 1..<(side - 1) {
                let laplacian = grey(x - 1, y) + grey(x + 1, y) + grey(x, y - 1) + grey(x, y + 1) - 4 * grey(x, y)
                sum += laplacian
                sumOfSquares += laplacian * laplacian
            }
        }
        let n = Double((side - 2) * (side - 2))
        return sumOfSquares / n - (sum / n) * (sum / n)
    }
}
