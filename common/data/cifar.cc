#include "common/data/cifar.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/data/file_bytes.h"
#include "common/data/labeled_images.h"
#include "common/port/status_macros.h"
#include "common/port/torch.h"

namespace repro {
namespace {

constexpr int64_t kImageBytes = 3 * 32 * 32;
constexpr char kCifarUrl[] = "https://www.cs.toronto.edu/~kriz/cifar.html";

// The layout of one record and which label byte to return.
struct RecordFormat {
  const char* name;      // for messages: "CIFAR-10", "CIFAR-100 fine", ...
  int64_t label_bytes;   // label bytes before the pixels
  int64_t label_offset;  // which of them is returned
  int64_t num_classes;   // labels must be below this
};

RecordFormat Cifar10Format() { return {"CIFAR-10", 1, 0, 10}; }

RecordFormat Cifar100Format(CifarLabels labels) {
  return labels == CifarLabels::kFine ? RecordFormat{"CIFAR-100 fine", 2, 1, 100}
                                      : RecordFormat{"CIFAR-100 coarse", 2, 0, 20};
}

// Undecoded records: pixels [N, 3, 32, 32] uint8 and labels [N] int64, checked.
struct RawRecords {
  torch::Tensor pixels;
  torch::Tensor labels;
};

absl::StatusOr<RawRecords> ParseRecords(std::string_view bytes, const std::string& source,
                                        const RecordFormat& format) {
  const int64_t record = format.label_bytes + kImageBytes;
  const int64_t size = static_cast<int64_t>(bytes.size());
  if (size == 0 || size % record != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, " is not a ", format.name, " binary file: ", size,
        " bytes is not a positive multiple of the ", record, "-byte record (", format.label_bytes,
        " label byte", format.label_bytes > 1 ? "s" : "", " + 3072 pixel bytes)"));
  }
  const int64_t n = size / record;
  const torch::Tensor records =
      torch::from_blob(const_cast<char*>(bytes.data()), {n, record}, torch::kUInt8);
  RawRecords raw;
  raw.labels = records.select(1, format.label_offset).to(torch::kInt64);
  const torch::Tensor bad = (raw.labels >= format.num_classes).nonzero();
  if (bad.size(0) > 0) {
    const int64_t i = bad[0][0].item<int64_t>();
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": record ", i, " has ", format.name, " label ", raw.labels[i].item<int64_t>(),
        ", outside 0-", format.num_classes - 1, "; the file is damaged or not ", format.name));
  }
  raw.pixels = records.slice(1, format.label_bytes, record).reshape({n, 3, 32, 32}).clone();
  return raw;
}

LabeledImages ToLabeledImages(const std::vector<RawRecords>& parts) {
  std::vector<torch::Tensor> pixels, labels;
  for (const RawRecords& part : parts) {
    pixels.push_back(part.pixels);
    labels.push_back(part.labels);
  }
  LabeledImages out;
  out.images =
      (parts.size() == 1 ? pixels[0] : torch::cat(pixels)).to(torch::kFloat32).div_(255.0f);
  out.labels = parts.size() == 1 ? labels[0] : torch::cat(labels);
  return out;
}

absl::StatusOr<RawRecords> ReadRecords(const std::string& path, const RecordFormat& format) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(),
                        absl::StrCat(format.name, ": ", bytes.status().message()));
  }
  return ParseRecords(*bytes, path, format);
}

// `dir` itself if it holds `probe`, else `dir`/`subdir` if that does, else an error naming the
// expected file.
absl::StatusOr<std::string> FindDataDir(const std::string& dir, const std::string& subdir,
                                        const std::string& probe, const std::string& data_set,
                                        const std::string& archive) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const fs::path& candidate : {fs::path(dir), fs::path(dir) / subdir}) {
    if (fs::exists(candidate / probe, ec)) return candidate.string();
  }
  return absl::NotFoundError(absl::StrCat(data_set, " not found at ",
                                          (fs::path(dir) / probe).string(), "; download ", archive,
                                          " from ", kCifarUrl, ", extract it and pass its folder"));
}

absl::StatusOr<CifarSplits> LoadSplits(const std::string& dir,
                                       const std::vector<std::string>& train_files,
                                       const std::string& test_file, const RecordFormat& format) {
  std::vector<RawRecords> train;
  for (const std::string& file : train_files) {
    ASSIGN_OR_RETURN(RawRecords part, ReadRecords(dir + "/" + file, format));
    train.push_back(std::move(part));
  }
  ASSIGN_OR_RETURN(RawRecords test, ReadRecords(dir + "/" + test_file, format));
  return CifarSplits{ToLabeledImages(train), ToLabeledImages({test})};
}

}  // namespace

absl::StatusOr<LabeledImages> DecodeCifar10(std::string_view bytes, const std::string& source) {
  ASSIGN_OR_RETURN(RawRecords raw, ParseRecords(bytes, source, Cifar10Format()));
  return ToLabeledImages({raw});
}

absl::StatusOr<LabeledImages> DecodeCifar100(std::string_view bytes, const std::string& source,
                                             CifarLabels labels) {
  ASSIGN_OR_RETURN(RawRecords raw, ParseRecords(bytes, source, Cifar100Format(labels)));
  return ToLabeledImages({raw});
}

absl::StatusOr<LabeledImages> ReadCifar10File(const std::string& path) {
  ASSIGN_OR_RETURN(RawRecords raw, ReadRecords(path, Cifar10Format()));
  return ToLabeledImages({raw});
}

absl::StatusOr<LabeledImages> ReadCifar100File(const std::string& path, CifarLabels labels) {
  ASSIGN_OR_RETURN(RawRecords raw, ReadRecords(path, Cifar100Format(labels)));
  return ToLabeledImages({raw});
}

absl::StatusOr<CifarSplits> LoadCifar10(const std::string& dir) {
  ASSIGN_OR_RETURN(const std::string data_dir,
                   FindDataDir(dir, "cifar-10-batches-bin", "data_batch_1.bin", "CIFAR-10",
                               "the binary version (cifar-10-binary.tar.gz)"));
  std::vector<std::string> train;
  for (int i = 1; i <= 5; ++i) train.push_back(absl::StrCat("data_batch_", i, ".bin"));
  return LoadSplits(data_dir, train, "test_batch.bin", Cifar10Format());
}

absl::StatusOr<CifarSplits> LoadCifar100(const std::string& dir, CifarLabels labels) {
  ASSIGN_OR_RETURN(const std::string data_dir,
                   FindDataDir(dir, "cifar-100-binary", "train.bin", "CIFAR-100",
                               "the binary version (cifar-100-binary.tar.gz)"));
  return LoadSplits(data_dir, {"train.bin"}, "test.bin", Cifar100Format(labels));
}

}  // namespace repro
