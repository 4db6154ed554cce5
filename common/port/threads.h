// Thread-count control: LibTorch's OpenMP pool (and OpenBLAS under it) defaults to one thread on
// some machines, so every program sets it explicitly from --threads.
#ifndef COMMON_PORT_THREADS_H_
#define COMMON_PORT_THREADS_H_

namespace repro {

// Number of hardware threads (at least 1).
int HardwareThreads();

// Sets LibTorch's intra-op thread count; `threads <= 0` means all hardware threads. Returns the
// count in effect.
int SetThreads(int threads);

}  // namespace repro

#endif  // COMMON_PORT_THREADS_H_
