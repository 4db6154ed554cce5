// Speed of the Fashion-MNIST path: file read + gzip inflate, IDX decode, and the whole load (the
// target is under 1 s on the 2-core build machine).
#include <string>

#include "benchmark/benchmark.h"
#include "common/data/fashion_mnist.h"
#include "common/data/file_bytes.h"
#include "common/data/idx.h"
#include "common/port/logging.h"
#include "common/port/torch.h"

namespace repro {
namespace {

const std::string kTrainImages = std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz";

void BM_ReadFileBytesTrainImages(benchmark::State& state) {
  for (auto _ : state) {
    auto bytes = ReadFileBytes(kTrainImages);
    CHECK(bytes.ok()) << bytes.status();
    benchmark::DoNotOptimize(bytes->data());
  }
}
BENCHMARK(BM_ReadFileBytesTrainImages)->Unit(benchmark::kMillisecond);

void BM_ReadIdxFileTrainImages(benchmark::State& state) {
  for (auto _ : state) {
    auto t = ReadIdxFile(kTrainImages);
    CHECK(t.ok()) << t.status();
    benchmark::DoNotOptimize(t->data_ptr());
  }
}
BENCHMARK(BM_ReadIdxFileTrainImages)->Unit(benchmark::kMillisecond);

// The uint8 -> float [N, 1, 28, 28] / 255 step of the load, on the training images. Most of it is
// the first touch of 188 MB of fresh memory.
void BM_ConvertTrainImages(benchmark::State& state) {
  auto raw = ReadIdxFile(kTrainImages);
  CHECK(raw.ok()) << raw.status();
  for (auto _ : state) {
    torch::Tensor images = raw->unsqueeze(1).to(torch::kFloat32).div_(255.0f);
    benchmark::DoNotOptimize(images.data_ptr());
  }
}
BENCHMARK(BM_ConvertTrainImages)->Unit(benchmark::kMillisecond);

void BM_LoadFashionMnist(benchmark::State& state) {
  for (auto _ : state) {
    auto data = LoadFashionMnist();
    CHECK(data.ok()) << data.status();
    benchmark::DoNotOptimize(data->train.images.data_ptr());
  }
}
BENCHMARK(BM_LoadFashionMnist)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace
}  // namespace repro
