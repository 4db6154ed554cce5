// SHA-256 of a text, as lowercase hex (OpenSSL's libcrypto): the config hash of every table and the
// key of the trained-model cache.
#ifndef COMMON_RESULTS_SHA256_H_
#define COMMON_RESULTS_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace repro {

std::string Sha256Hex(absl::string_view text);

}  // namespace repro

#endif  // COMMON_RESULTS_SHA256_H_
