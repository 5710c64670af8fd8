import Foundation
import LikenessEngine

/// libFuzzer's entry point for uploaded photos: the bytes are decoded by libvips through the
/// CVips shim (its loader whitelist, pixel limit, autorotation and conversion to RGB8), then
/// searched for faces as a probe is: YuNet, dlib's landmarks and face chip on each face it
/// finds, dlib's HOG detector, and the JPEG thumbnail the audit log keeps.
///
/// Images are capped at 1 MP and scanned at 160 px: at the server's sizes (100 MP, 1,280 px)
/// one input would take seconds, and a run would test detection's arithmetic on large images
/// rather than the decoders on many inputs. The shims' code paths are the same at any size.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let image = try? ImageCodec.decode(data: UnsafeRawBufferPointer(start: data, count: count), pixelLimit: pixelLimit) else {
        return 0
    }
    // Each step may refuse an image (an error the caller reports); only a crash is a finding.
    for face in (try? engines.yunet.detectFaces(in: image, longSide: scanLongSide))?.prefix(maxFacesPerImage) ?? [] {
        if let detected = try? engines.dlib.face(in: face.dlibBox, score: Double(face.score), of: image) {
            _ = try? engines.dlib.chip(for: detected, in: image)
        }
    }
    let hog = DetectionPolicy(detector: .hog, scale: .fit(longSide: scanLongSide))
    for face in (try? engines.dlib.detectFaces(in: image, policy: hog))?.prefix(maxFacesPerImage) ?? [] {
        _ = try? engines.dlib.chip(for: face, in: image)
    }
    _ = try? ImageCodec.jpeg(of: image, left: 0, top: 0, width: image.width, height: image.height, maxSide: 128)
    return 0
}

private let pixelLimit = 1 << 20
private let scanLongSide = 160
/// Random pixels can hold many "faces"; a few exercise the landmarks and chips as well as many.
private let maxFacesPerImage = 4

/// Loaded once per process (the weights are LIKENESS_MODELS's and LIKENESS_ONNX_MODELS's,
/// which run.sh sets); each engine is used by libFuzzer's one thread only.
private nonisolated(unsafe) let engines: (yunet: YuNetDetector, dlib: DlibFaceEngine) = {
    do {
        return (try YuNetDetector(models: ONNXFaceModels.locate()),
                try DlibFaceEngine(models: FaceModels.locate(), loadDetectorCNN: false))
    } catch {
        fatalError("the face models cannot be loaded: \(error)")
    }
}()
