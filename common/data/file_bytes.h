// Whole-file reads for the data readers, with transparent gzip decoding through zlib: data sets
// ship as .gz (Fashion-MNIST) or raw, and the readers should not care which.
#ifndef COMMON_DATA_FILE_BYTES_H_
#define COMMON_DATA_FILE_BYTES_H_

#include <string>
#include <string_view>

#include "common/port/status_macros.h"

namespace repro {

// True when `bytes` starts with the gzip magic number (1f 8b).
bool IsGzip(std::string_view bytes);

// Decompresses a gzip stream (one or more concatenated members). A truncated or corrupt stream, or
// bytes after the last member that are not another member, give an error that names `source`.
absl::StatusOr<std::string> Gunzip(std::string_view compressed, const std::string& source);

// The contents of the file at `path`, decompressed when it is gzip (detected by its magic number,
// whatever its name). Errors: the file is missing or unreadable, or its gzip stream is bad.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

}  // namespace repro

#endif  // COMMON_DATA_FILE_BYTES_H_
