#include "common/train/seed.h"

namespace repro {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void SeedEverything(uint64_t seed) { torch::manual_seed(seed); }

uint64_t MixSeed(uint64_t seed, uint64_t stream, uint64_t counter) {
  return SplitMix64(SplitMix64(SplitMix64(seed) ^ stream) ^ counter);
}

torch::Generator MakeGenerator(uint64_t seed, uint64_t stream, uint64_t counter) {
  return at::detail::createCPUGenerator(MixSeed(seed, stream, counter));
}

}  // namespace repro
