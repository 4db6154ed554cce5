// Program boundary for every binary: parses flags, sets up logging, and turns an absl::Status or a
// c10::Error escaping `body` into one clear line on stderr and a non-zero exit.
//
//   int main(int argc, char** argv) {
//     return repro::RunMain(argc, argv, "usage text", [] { return Run(); });
//   }
#ifndef COMMON_PORT_MAIN_H_
#define COMMON_PORT_MAIN_H_

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace repro {

int RunMain(int argc, char** argv, const std::string& usage,
            const std::function<absl::Status()>& body);

}  // namespace repro

#endif  // COMMON_PORT_MAIN_H_
