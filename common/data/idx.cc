#include "common/data/idx.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/data/file_bytes.h"
#include "common/port/status_macros.h"
#include "common/port/torch.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "DecodeIdx assumes a little-endian host");

namespace repro {
namespace {

struct IdxType {
  torch::ScalarType dtype;
  int64_t element_size;
};

bool TypeFromByte(uint8_t type, IdxType* out) {
  switch (type) {
    case 0x08:
      *out = {torch::kUInt8, 1};
      return true;
    case 0x09:
      *out = {torch::kInt8, 1};
      return true;
    case 0x0B:
      *out = {torch::kInt16, 2};
      return true;
    case 0x0C:
      *out = {torch::kInt32, 4};
      return true;
    case 0x0D:
      *out = {torch::kFloat32, 4};
      return true;
    case 0x0E:
      *out = {torch::kFloat64, 8};
      return true;
    default:
      return false;
  }
}

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

absl::StatusOr<torch::Tensor> DecodeIdx(std::string_view bytes, const std::string& source) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat(source, " is not an IDX file: ", bytes.size(),
                                                   " bytes, shorter than the 4-byte magic number"));
  }
  const uint32_t magic = BigEndian32(data);
  IdxType type;
  if (data[0] != 0 || data[1] != 0 || !TypeFromByte(data[2], &type)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is not an IDX file: bad magic number 0x%08x (expected 0x00000Tnn with type byte T in "
        "{08, 09, 0B, 0C, 0D, 0E} and nn dimensions, e.g. 0x00000803 for images)",
        source, magic));
  }
  const int ndims = data[3];
  if (ndims == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: IDX magic 0x%08x declares 0 dimensions", source, magic));
  }
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  if (bytes.size() < header) {
    return absl::DataLossError(absl::StrCat("truncated IDX file ", source, ": ", bytes.size(),
                                            " bytes, shorter than its ", header, "-byte header (",
                                            ndims, " dimensions)"));
  }
  std::vector<int64_t> dims(ndims);
  // Computed in 128 bits (and capped) so that absurd dimensions cannot wrap to a plausible size.
  constexpr unsigned __int128 kHuge = static_cast<unsigned __int128>(1) << 62;
  unsigned __int128 expected = type.element_size;
  for (int d = 0; d < ndims; ++d) {
    dims[d] = BigEndian32(data + 4 + 4 * d);
    expected *= static_cast<uint64_t>(dims[d]);
    if (expected > kHuge) expected = kHuge;
  }
  const size_t available = bytes.size() - header;
  if (expected != available) {
    const bool truncated = expected > available;
    return absl::DataLossError(absl::StrCat(
        truncated ? "truncated IDX file " : "trailing bytes in IDX file ", source, ": dimensions [",
        absl::StrJoin(dims, ", "), "] need ", static_cast<uint64_t>(expected),
        " data bytes, the file has ", available,
        truncated ? "; the file is incomplete, fetch it again" : "; the file is damaged"));
  }

  const int64_t numel = static_cast<int64_t>(expected) / type.element_size;
  if (type.element_size == 1) {
    torch::Tensor out = torch::empty(dims, torch::TensorOptions().dtype(type.dtype));
    std::memcpy(out.data_ptr(), data + header, available);
    return out;
  }
  // Big-endian to host order: reverse the bytes of each element (a strided copy, no scalar loop).
  const torch::Tensor raw = torch::from_blob(const_cast<unsigned char*>(data + header),
                                             {numel, type.element_size}, torch::kUInt8);
  return raw.flip({1}).contiguous().view(type.dtype).reshape(dims);
}

absl::StatusOr<torch::Tensor> ReadIdxFile(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string bytes, ReadFileBytes(path));
  return DecodeIdx(bytes, path);
}

}  // namespace repro
