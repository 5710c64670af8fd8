#!/bin/sh
# /usr/bin/likeness: the packaged binary, with the model weights the package installed and one
# BLAS thread per face engine (the engines run one per core); the caller's settings win.
: "${LIKENESS_MODELS:=/usr/share/likeness/models}"
: "${LIKENESS_ONNX_MODELS:=/usr/share/likeness/onnx}"
: "${OPENBLAS_NUM_THREADS:=1}"
export LIKENESS_MODELS LIKENESS_ONNX_MODELS OPENBLAS_NUM_THREADS
exec /usr/lib/likeness/likeness "$@"
