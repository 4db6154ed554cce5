// The four Spartan tables (registered with REGISTER_TABLE in tables.cc) and their config checks:
//   spartan_resnet      Table 1 analogue: top-1 vs sparsity for dense and every method (ResNet-S)
//   spartan_vit_blocks  Table 2 analogue: tiny ViT at 90%, unstructured and block-structured
//   spartan_ablation    β_final and schedule-fraction ablations with mask flips per step (svg)
//   spartan_flops       parameter-count vs FLOP cost allocation at equal FLOPs
// The Validate* functions parse a config and check it against the model it trains (block shapes,
// cost models, reachable targets) without training anything.
#ifndef SPARTAN_TABLES_H_
#define SPARTAN_TABLES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/results/registry.h"

namespace repro::spartan {

absl::Status ValidateResnetTable(const std::string& text, const std::string& path);
absl::Status ValidateVitBlocksTable(const std::string& text, const std::string& path);
absl::Status ValidateAblationTable(const std::string& text, const std::string& path);
absl::Status ValidateFlopsTable(const std::string& text, const std::string& path);

absl::StatusOr<TableOutput> RunResnetTable(const TableRun& run);
absl::StatusOr<TableOutput> RunVitBlocksTable(const TableRun& run);
absl::StatusOr<TableOutput> RunAblationTable(const TableRun& run);
absl::StatusOr<TableOutput> RunFlopsTable(const TableRun& run);

}  // namespace repro::spartan

#endif  // SPARTAN_TABLES_H_
