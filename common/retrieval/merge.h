// Merge of per-query ranked lists from several indexes into one ranking by distance: the distance
// rank merge of online backfilling (backfill.md §2.1), where the not-yet-backfilled gallery part is
// searched with the old query embedding and the backfilled part with the new one, and each item
// keeps the distance of its own part:
//
//   D_t(q, g) = d(φ_old(q), φ_old(g)) if g is not yet backfilled, d(φ_new(q), φ_new(g)) otherwise.
//
// When every input is an exact top-k search of its part and the parts are disjoint, the merged
// top-k is exactly the top-k of the whole gallery under D_t (backfill.md §8.4): an item of the
// global top-k is in the top-k of its own part.
#ifndef COMMON_RETRIEVAL_MERGE_H_
#define COMMON_RETRIEVAL_MERGE_H_

#include <cstdint>
#include <vector>

#include "common/retrieval/ranked_lists.h"

namespace repro {

// The k best entries of each query over all `lists` (each [Q, k_i], rows ascending by distance with
// ties ordered by id and padding (+inf, -1) at the end, as EmbeddingIndex::Search returns them),
// ascending by (distance, id), padded with (+inf, -1) when the lists hold fewer than k items in
// all. All lists must have the same number of queries; their k_i may differ. Cost O(Q k n) for n
// lists, parallel over queries.
RankedLists MergeRankedLists(const std::vector<RankedLists>& lists, int64_t k);

}  // namespace repro

#endif  // COMMON_RETRIEVAL_MERGE_H_
