#include "common/port/threads.h"

#include <algorithm>
#include <thread>

#include "common/port/torch.h"

namespace repro {

int HardwareThreads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

int SetThreads(int threads) {
  const int n = threads > 0 ? threads : HardwareThreads();
  at::set_num_threads(n);
  return at::get_num_threads();
}

}  // namespace repro
