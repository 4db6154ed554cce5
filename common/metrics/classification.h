// Classification accuracy: the share of examples whose label is among the k highest logits.
#ifndef COMMON_METRICS_CLASSIFICATION_H_
#define COMMON_METRICS_CLASSIFICATION_H_

#include <cstdint>

#include "common/port/torch.h"

namespace repro {

// Top-k accuracy in [0, 1] of `logits` [N, C] against integer `labels` [N] (each in [0, C)),
// 1 <= k <= C. The rank of the label is the number of classes with a larger logit plus the number
// of classes with an equal logit and a smaller index, so ties go to the smaller class index as
// argmax does (k = 1 equals mean(argmax(logits) == labels)) and constant logits are not "correct".
// Throws c10::Error on bad shapes, labels out of range or non-finite logits. N = 0 gives NaN.
double TopKAccuracy(const torch::Tensor& logits, const torch::Tensor& labels, int64_t k = 1);

}  // namespace repro

#endif  // COMMON_METRICS_CLASSIFICATION_H_
