// Seeding for reproducible runs.
//
// What makes a run bit-for-bit repeatable here: (1) SeedEverything(seed) before the model is built
// (parameter initialisation and dropout draw from LibTorch's default CPU generator); (2) every other
// random stream (shuffling, augmentation) comes from its own generator made by MakeGenerator from
// (seed, stream, counter), so it does not depend on what else drew random numbers, and a resumed run
// recreates it from the step alone; (3) the same intra-op thread count (SetThreads): OpenMP splits
// reductions (and OpenBLAS its GEMMs) by thread, so a different count changes the float rounding.
// LibTorch's CPU kernels are otherwise deterministic for a given thread count.
#ifndef COMMON_TRAIN_SEED_H_
#define COMMON_TRAIN_SEED_H_

#include <cstdint>

#include "common/port/torch.h"

namespace repro {

// Seeds LibTorch's default generator (CPU, and CUDA when present) with `seed`.
void SeedEverything(uint64_t seed);

// A fresh CPU generator whose seed mixes (seed, stream, counter) through SplitMix64, e.g.
// MakeGenerator(seed, kShuffleStream, epoch). Independent of the default generator.
torch::Generator MakeGenerator(uint64_t seed, uint64_t stream, uint64_t counter = 0);

// SplitMix64 mix of the three values (the seed MakeGenerator uses).
uint64_t MixSeed(uint64_t seed, uint64_t stream, uint64_t counter);

}  // namespace repro

#endif  // COMMON_TRAIN_SEED_H_
