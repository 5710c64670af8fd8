#ifndef LIKENESS_VECTOR_KERNELS_H
#define LIKENESS_VECTOR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Squared Euclidean distances between `query` and each of `count` codes stored back to back,
/// all of them 128 one-byte scalar-quantization codes. `distances[i]` is the distance to the
/// code at `codes + 128 * i`, in code steps squared: an exact integer (at most 128 · 255²).
void lk_sq8_squared_distances(const uint8_t *query, const uint8_t *codes, size_t count, uint32_t *distances);

#endif
