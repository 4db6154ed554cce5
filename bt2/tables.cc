// The four BT² tables (issue 3), each run by RunBt2Table from experiments/bt2/<table>.<scale>.pbtxt:
//   bt2_main          README CIFAR-100 / ImageNet tables: old/old, independent, BCT, BCT with added
//                     dimensions, BT² (new/old, new/new)
//   bt2_ablation      basis transformations vs unconstrained maps; k; C
//   bt2_model_change  old MLP -> new CNN, the rows of bt2_main
//   bt2_series        three successive updates, the full query x gallery matrix
#include "bt2/table_runner.h"
#include "common/results/registry.h"

namespace repro::bt2 {
namespace {

TableFn Runner(const char* table) {
  return [table](const TableRun& run) { return RunBt2Table(table, run); };
}

REGISTER_TABLE("bt2", "bt2_main", Runner("bt2_main"), ValidateBt2Table);
REGISTER_TABLE("bt2", "bt2_ablation", Runner("bt2_ablation"), ValidateBt2Table);
REGISTER_TABLE("bt2", "bt2_model_change", Runner("bt2_model_change"), ValidateBt2Table);
REGISTER_TABLE("bt2", "bt2_series", Runner("bt2_series"), ValidateBt2Table);

}  // namespace
}  // namespace repro::bt2
