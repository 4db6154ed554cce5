// Reader for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), raw or
// gzip-compressed: magic 00 00 <type> <ndims>, then ndims big-endian uint32 sizes, then the data in
// row-major order (multi-byte values big-endian).
#ifndef COMMON_DATA_IDX_H_
#define COMMON_DATA_IDX_H_

#include <string>
#include <string_view>

#include "common/port/status_macros.h"
#include "common/port/torch.h"

namespace repro {

// Decodes the bytes of an IDX file (already decompressed) into a CPU tensor of the file's
// dimensions and element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
// 0x0E float64 (converted to host byte order). `source` names the data in error messages.
// Errors: short header, bad magic number, unknown type byte, zero dimensions, fewer data bytes than
// the dimensions say (truncated) or more (trailing bytes).
absl::StatusOr<torch::Tensor> DecodeIdx(std::string_view bytes, const std::string& source);

// Reads and decodes the IDX file at `path`; gzip is detected by its magic number and decoded with
// zlib. Besides DecodeIdx's errors: a missing file (NotFound) and a truncated or corrupt gzip
// stream. Fashion-MNIST files give uint8 tensors: images [N, 28, 28], labels [N].
absl::StatusOr<torch::Tensor> ReadIdxFile(const std::string& path);

}  // namespace repro

#endif  // COMMON_DATA_IDX_H_
