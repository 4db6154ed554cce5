#include "common/train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace repro {
namespace {

constexpr char kFormat[] = "repro-checkpoint-v1";

std::string ShapeString(const torch::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]");
}

// First line of a c10::Error message (LibTorch appends a long backtrace).
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// All parameters and buffers of `model` by their dotted names.
std::vector<std::pair<std::string, torch::Tensor>> NamedState(const torch::nn::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& item : model.named_parameters()) state.emplace_back(item.key(), item.value());
  for (const auto& item : model.named_buffers()) state.emplace_back(item.key(), item.value());
  return state;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& bytes) {
  const std::filesystem::path target(path);
  std::error_code error;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  const std::string temp = absl::StrCat(path, ".tmp.", getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write checkpoint ", path, ": ",
                                                    std::strerror(errno),
                                                    "; check that its folder is writable"));
  }
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot write checkpoint ", path, ": ", reason, " (disk full?)"));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    return absl::DataLossError(absl::StrCat("cannot write checkpoint ", path, ": ", reason));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    return absl::PermissionDeniedError(
        absl::StrCat("cannot move checkpoint into place at ", path, ": ", reason));
  }
  return absl::OkStatus();
}

}  // namespace

bool CheckpointExists(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

absl::Status SaveCheckpoint(const std::string& path, const torch::nn::Module& model,
                            const torch::optim::Optimizer* optimizer, const CheckpointState& state) {
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    archive.write("format", c10::IValue(std::string(kFormat)));
    archive.write("step", c10::IValue(state.step));
    archive.write("loss", c10::IValue(state.loss));
    archive.write("config_text", c10::IValue(state.config_text));
    c10::Dict<std::string, torch::Tensor> tensors;
    for (const auto& [name, tensor] : NamedState(model)) tensors.insert(name, tensor.detach());
    archive.write("model", c10::IValue(tensors));
    {
      auto generator = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(generator.mutex());
      archive.write("cpu_rng_state", generator.get_state(), /*is_buffer=*/true);
    }
    archive.write("has_optimizer", c10::IValue(optimizer != nullptr));
    if (optimizer != nullptr) {
      torch::serialize::OutputArchive optimizer_archive;
      optimizer->save(optimizer_archive);
      archive.write("optimizer", optimizer_archive);
    }
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("cannot serialise checkpoint ", path, ": ",
                                            FirstLine(e.what_without_backtrace())));
  }
  return WriteFileAtomically(path, bytes.str());
}

absl::StatusOr<CheckpointState> LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                                               torch::optim::Optimizer* optimizer) {
  if (!CheckpointExists(path)) {
    return absl::NotFoundError(absl::StrCat("no checkpoint at ", path));
  }
  const auto corrupt = [&path](const std::string& why) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path,
                                            " is corrupt or not a checkpoint (", why,
                                            "); delete it to start the run over"));
  };
  torch::serialize::InputArchive archive;
  CheckpointState state;
  std::unordered_map<std::string, torch::Tensor> saved;
  torch::Tensor rng_state;
  bool has_optimizer = false;
  try {
    archive.load_from(path);
    c10::IValue value;
    if (!archive.try_read("format", value) || !value.isString() ||
        value.toStringRef() != kFormat) {
      return corrupt("no repro checkpoint format tag");
    }
    archive.read("step", value);
    state.step = value.toInt();
    archive.read("loss", value);
    state.loss = value.toDouble();
    archive.read("config_text", value);
    state.config_text = value.toStringRef();
    archive.read("model", value);
    for (const auto& entry : value.toGenericDict()) {
      saved.emplace(entry.key().toStringRef(), entry.value().toTensor());
    }
    archive.read("cpu_rng_state", rng_state, /*is_buffer=*/true);
    archive.read("has_optimizer", value);
    has_optimizer = value.toBool();
  } catch (const c10::Error& e) {
    return corrupt(FirstLine(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return corrupt(FirstLine(e.what()));
  }

  // Check every tensor before changing anything.
  const auto named = NamedState(model);
  for (const auto& [name, tensor] : named) {
    const auto it = saved.find(name);
    if (it == saved.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("checkpoint ", path, " has no tensor '", name,
                       "' of the model; it was written by a different model"));
    }
    const torch::Tensor& stored = it->second;
    if (stored.sizes() != tensor.sizes() || stored.scalar_type() != tensor.scalar_type()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "checkpoint ", path, ": '", name, "' has shape ", ShapeString(stored), " (",
          c10::toString(stored.scalar_type()), ") but the model has ", ShapeString(tensor), " (",
          c10::toString(tensor.scalar_type()), "); it was written by a different model"));
    }
  }
  if (saved.size() != named.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint ", path, " holds ", saved.size(), " tensors but the model has ", named.size(),
        "; it was written by a different model"));
  }
  if (optimizer != nullptr && !has_optimizer) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint ", path, " holds no optimizer state to resume from"));
  }

  try {
    {
      torch::NoGradGuard no_grad;
      for (auto& [name, tensor] : named) tensor.copy_(saved.at(name));
    }
    if (optimizer != nullptr) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng_state);
  } catch (const c10::Error& e) {
    return absl::FailedPreconditionError(absl::StrCat("checkpoint ", path,
                                                      " does not fit the optimizer: ",
                                                      FirstLine(e.what_without_backtrace())));
  }
  return state;
}

}  // namespace repro
