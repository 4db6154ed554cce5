#include "common/results/text_config.h"

#include "absl/strings/str_cat.h"
#include "common/results/atomic_file.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace repro {
namespace {

class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(std::string path) : path_(std::move(path)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat(path_, ":", line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string path_;
  std::string first_;
};

}  // namespace

absl::Status ParseTextConfig(const std::string& text, const std::string& path,
                             google::protobuf::Message* message) {
  FirstErrorCollector errors(path);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, message)) {
    return absl::InvalidArgumentError(
        absl::StrCat(errors.first().empty() ? path + ": cannot parse" : errors.first(),
                     " (fix the config; its schema is ", message->GetDescriptor()->full_name(), ")"));
  }
  return absl::OkStatus();
}

absl::Status ReadTextConfig(const std::string& path, google::protobuf::Message* message) {
  auto text = ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("config ", path, " not found"));
  return ParseTextConfig(*text, path, message);
}

absl::Status ConfigError(absl::string_view path, absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": field '", field, "' ", problem));
}

}  // namespace repro
