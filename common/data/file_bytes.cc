#include "common/data/file_bytes.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/port/status_macros.h"

namespace repro {
namespace {

// zlib counts bytes in 32-bit uInt: feed and drain at most this much per call.
constexpr size_t kMaxChunk = size_t{1} << 30;

// The trailer's size hint is trusted up to this ratio to the compressed size (data sets compress
// 2-10x); a damaged trailer must not make us allocate gigabytes. Beyond it the buffer doubles.
constexpr size_t kMaxHintRatio = 32;

struct InflateEnd {
  void operator()(z_stream* z) const {
    inflateEnd(z);
    delete z;
  }
};

}  // namespace

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

absl::StatusOr<std::string> Gunzip(std::string_view compressed, const std::string& source) {
  if (!IsGzip(compressed)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, " is not a gzip stream (no 1f 8b magic)"));
  }
  std::unique_ptr<z_stream, InflateEnd> z(new z_stream{});
  // 16 + MAX_WBITS: expect a gzip header and trailer (CRC-32 and length are checked by zlib).
  if (inflateInit2(z.get(), 16 + MAX_WBITS) != Z_OK) {
    z.release();  // inflateEnd must not run on a stream that failed to initialise.
    return absl::InternalError(absl::StrCat("zlib inflateInit2 failed for ", source));
  }

  std::string out;
  // The gzip trailer's ISIZE (size mod 2^32 of the last member) is a good first guess.
  if (compressed.size() >= 18) {
    const auto* t =
        reinterpret_cast<const unsigned char*>(compressed.data() + compressed.size() - 4);
    const size_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (static_cast<size_t>(t[3]) << 24);
    out.reserve(std::min(isize, compressed.size() * kMaxHintRatio) + 1);
  }
  size_t in_pos = 0;
  size_t out_len = 0;
  const auto* in = reinterpret_cast<const Bytef*>(compressed.data());
  while (true) {
    if (out_len == out.size()) {
      out.resize(std::max<size_t>({out.capacity(), out.size() * 2, size_t{1} << 16}));
    }
    if (z->avail_in == 0) {
      z->next_in = const_cast<Bytef*>(in + in_pos);
      z->avail_in = static_cast<uInt>(std::min(kMaxChunk, compressed.size() - in_pos));
    }
    const size_t in_before = z->avail_in;
    z->next_out = reinterpret_cast<Bytef*>(out.data() + out_len);
    z->avail_out = static_cast<uInt>(std::min(kMaxChunk, out.size() - out_len));
    const size_t out_before = z->avail_out;
    const int rc = inflate(z.get(), Z_NO_FLUSH);
    in_pos += in_before - z->avail_in;
    out_len += out_before - z->avail_out;
    if (rc == Z_STREAM_END) {
      const size_t rest = compressed.size() - in_pos;
      if (rest == 0) break;
      if (!IsGzip(compressed.substr(in_pos))) {
        return absl::DataLossError(absl::StrCat(
            "trailing garbage in ", source, ": ", rest,
            " bytes after the end of the gzip stream; the file is damaged, fetch it again"));
      }
      inflateReset(z.get());  // Another member follows (concatenated gzip, as `cat a.gz b.gz`).
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && in_pos == compressed.size() && z->avail_in == 0) {
      return absl::DataLossError(absl::StrCat(
          "truncated gzip stream in ", source, ": the data ends after ", compressed.size(),
          " compressed bytes (", out_len,
          " decompressed) before the end of the stream; the file is incomplete, fetch it again"));
    }
    if (rc == Z_BUF_ERROR && out_len == out.size()) continue;  // Output full: grow it.
    return absl::DataLossError(absl::StrCat(
        "corrupt gzip stream in ", source, " at compressed byte ", in_pos, ": ",
        z->msg != nullptr ? z->msg : zError(rc), "; the file is damaged, fetch it again"));
  }
  out.resize(out_len);
  return out;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, " not found"));
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": not a regular file"));
  }
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  const size_t got = std::fread(bytes.data(), 1, bytes.size(), file.get());
  if (got != bytes.size() || std::ferror(file.get())) {
    return absl::DataLossError(
        absl::StrCat("cannot read ", path, ": got ", got, " of ", bytes.size(), " bytes"));
  }
  if (IsGzip(bytes)) return Gunzip(bytes, path);
  return bytes;
}

}  // namespace repro
