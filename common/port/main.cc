#include "common/port/main.h"

#include <cstdio>
#include <exception>

#include "common/port/logging.h"
#include "common/port/torch.h"
#include "gflags/gflags.h"

namespace repro {

int RunMain(int argc, char** argv, const std::string& usage,
            const std::function<absl::Status()>& body) {
  gflags::SetUsageMessage(usage);
  gflags::ParseCommandLineFlags(&argc, &argv, /*remove_flags=*/true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  const char* program = argv[0];
  try {
    const absl::Status status = body();
    if (!status.ok()) {
      std::fprintf(stderr, "%s: error: %s\n", program, std::string(status.message()).c_str());
      return 1;
    }
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 1;
  }
  return 0;
}

}  // namespace repro
