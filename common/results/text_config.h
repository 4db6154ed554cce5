// Typed protobuf-text configs: parsing with errors that name the file, line, column and field, and
// a uniform error for values out of range.
//
//   Bt2Config config;
//   RETURN_IF_ERROR(ParseTextConfig(text, "experiments/bt2/bt2_main.cpu.pbtxt", &config));
//   if (config.k() < 0) return ConfigError(path, "k", "must be >= 0");
#ifndef COMMON_RESULTS_TEXT_CONFIG_H_
#define COMMON_RESULTS_TEXT_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace repro {

// Parses `text` (the contents of `path`) into `message`. A syntax error, an unknown field or a
// wrong type gives InvalidArgument "<path>:<line>:<col>: <what>".
absl::Status ParseTextConfig(const std::string& text, const std::string& path,
                             google::protobuf::Message* message);

// Reads and parses a config file.
absl::Status ReadTextConfig(const std::string& path, google::protobuf::Message* message);

// InvalidArgument "<path>: field '<field>' <problem>".
absl::Status ConfigError(absl::string_view path, absl::string_view field, absl::string_view problem);

}  // namespace repro

#endif  // COMMON_RESULTS_TEXT_CONFIG_H_
