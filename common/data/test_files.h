// Test helpers for the data readers: scratch files under TEST_TMPDIR and gzip compression (zlib),
// so tests build their own well-formed and broken inputs.
#ifndef COMMON_DATA_TEST_FILES_H_
#define COMMON_DATA_TEST_FILES_H_

#include <string>
#include <string_view>

namespace repro {
namespace testing {

// A fresh path `name` under the test's scratch folder (TEST_TMPDIR, else /tmp); parent folders of
// `name` are created.
std::string TempPath(const std::string& name);

// Writes `bytes` to `path`, creating its parent folders (aborts the test program on failure).
void WriteBytes(const std::string& path, std::string_view bytes);

// `bytes` compressed as one gzip member.
std::string GzipBytes(std::string_view bytes);

}  // namespace testing
}  // namespace repro

#endif  // COMMON_DATA_TEST_FILES_H_
