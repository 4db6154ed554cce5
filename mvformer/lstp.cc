#include "mvformer/lstp.h"

#include <cmath>

namespace repro::mvformer {

LearnableSpatialTokenPoolingImpl::LearnableSpatialTokenPoolingImpl(const LstpOptions& options)
    : options_(options) {
  TORCH_CHECK(options.in_channels() > 0 && options.entities() > 0 && options.dim() > 0,
              "LSTP: in_channels, entities and dim must be positive");
  key = register_module("key", torch::nn::Linear(options.in_channels(), options.dim()));
  value = register_module("value", torch::nn::Linear(options.in_channels(), options.dim()));
  queries = register_parameter("queries", torch::empty({options.entities(), options.dim()}));
  query_bias = register_parameter("query_bias", torch::empty({options.dim()}));
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(queries, std::sqrt(5.0));
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.dim()));
  query_bias.uniform_(-bound, bound);
}

std::pair<torch::Tensor, torch::Tensor> LearnableSpatialTokenPoolingImpl::forward(
    const torch::Tensor& tokens) {
  TORCH_CHECK(tokens.dim() == 3 && tokens.size(2) == options_.in_channels(), "LSTP: expected [M, N, ",
              options_.in_channels(), "], got ", tokens.sizes());
  const double scale = 1.0 / std::sqrt(static_cast<double>(options_.dim()));
  const torch::Tensor q = queries + query_bias;                        // [E, d]
  const torch::Tensor q_keys = torch::matmul(q, key->weight);           // [E, C]
  const torch::Tensor q_bias = torch::matmul(q, key->bias);             // [E]
  // scores[m, e, n] = sum_c F[m, n, c] (Q W_K)[e, c] + (Q b_K)[e]
  const torch::Tensor scores = (torch::matmul(tokens, q_keys.t()).transpose(1, 2) + q_bias.view({1, -1, 1})) * scale;
  const torch::Tensor attention = torch::softmax(scores, -1);           // [M, E, N]
  const torch::Tensor pooled = torch::matmul(attention, tokens);        // [M, E, C]
  return {value->forward(pooled), attention};
}

std::pair<torch::Tensor, torch::Tensor> LearnableSpatialTokenPoolingImpl::forward(
    const torch::Tensor& tokens, const torch::Tensor& shared) {
  const int64_t c_tokens = tokens.size(2), c_shared = shared.size(1);
  TORCH_CHECK(tokens.dim() == 3 && shared.dim() == 2 && shared.size(0) == tokens.size(1) &&
                  c_tokens + c_shared == options_.in_channels(),
              "LSTP: tokens ", tokens.sizes(), " and shared ", shared.sizes(), " do not add up to ",
              options_.in_channels(), " channels");
  const double scale = 1.0 / std::sqrt(static_cast<double>(options_.dim()));
  const torch::Tensor q = queries + query_bias;                   // [E, d]
  const torch::Tensor q_keys = torch::matmul(q, key->weight);      // [E, C + C_p]
  const torch::Tensor q_tokens = q_keys.slice(1, 0, c_tokens), q_shared = q_keys.slice(1, c_tokens);
  // [M, N, E]: the per-frame part plus the shared part [N, E] and the key bias.
  const torch::Tensor scores = (torch::matmul(tokens, q_tokens.t()) + torch::matmul(shared, q_shared.t()) +
                                torch::matmul(q, key->bias)) *
                               scale;
  const torch::Tensor attention = torch::softmax(scores, 1).transpose(1, 2);  // [M, E, N]
  const torch::Tensor w = value->weight;                                      // [d, C + C_p]
  const torch::Tensor out = torch::matmul(torch::matmul(attention, tokens), w.slice(1, 0, c_tokens).t()) +
                            torch::matmul(torch::matmul(attention, shared), w.slice(1, c_tokens).t()) +
                            value->bias;
  return {out, attention};
}

std::pair<torch::Tensor, torch::Tensor> LearnableSpatialTokenPoolingImpl::forward_reference(
    const torch::Tensor& tokens) {
  const torch::Tensor k = key->forward(tokens), v = value->forward(tokens);  // [M, N, d]
  const torch::Tensor q = queries + query_bias;
  const torch::Tensor attention =
      torch::softmax(torch::matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(options_.dim())), -1);
  return {torch::matmul(attention, v), attention};
}

}  // namespace repro::mvformer
