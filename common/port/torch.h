// The one header through which the monorepo includes LibTorch (C++ frontend + ATen).
// Keep it out of headers that do not need tensors: it costs 10-20 s per translation unit.
#ifndef COMMON_PORT_TORCH_H_
#define COMMON_PORT_TORCH_H_

#include <torch/torch.h>  // IWYU pragma: export

#endif  // COMMON_PORT_TORCH_H_
