import LikenessCore

/// A 0…1 estimate of how useful a face is for matching: its resolution (the distance
/// between the eyes) times the sharpness of its aligned chip. A provisional heuristic: faces
/// with fewer than ~30 px between the eyes, or blurred chips, score low.
public enum FaceQuality {
    public static func score(face: DetectedFace, chip: [UInt8], chipSide: Int = DlibFaceEngine.chipSide) -> Double {
        let resolution = min(1, face.interOcularDistance / 30)
        return resolution * min(1, sharpness(chip: chip, side: chipSide) / 150)
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
