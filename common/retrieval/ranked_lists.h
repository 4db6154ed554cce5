// Per-query ranked lists: the output of an embedding-index search and the input and output of the
// merge of several such searches. Row q holds the k nearest gallery items of query q, ascending by
// distance with equal distances ordered by id; rows with fewer than k items are padded at the end
// with id -1 and distance +inf.
#ifndef COMMON_RETRIEVAL_RANKED_LISTS_H_
#define COMMON_RETRIEVAL_RANKED_LISTS_H_

#include <cstdint>

#include "common/port/torch.h"

namespace repro {

struct RankedLists {
  torch::Tensor distances;  // [Q, k] float32
  torch::Tensor ids;        // [Q, k] int64, -1 for padding

  int64_t num_queries() const { return ids.defined() ? ids.size(0) : 0; }
  int64_t k() const { return ids.defined() ? ids.size(1) : 0; }
};

// Id used for padding when a list has fewer than k items.
inline constexpr int64_t kNoId = -1;

}  // namespace repro

#endif  // COMMON_RETRIEVAL_RANKED_LISTS_H_
