#include "experiments/experiment.h"

#include "common/results/text_config.h"
#include "gtest/gtest.h"

namespace repro {
namespace {

Experiment Valid() {
  Experiment e;
  e.set_title("t");
  e.set_scale(CPU);
  e.add_seeds(1);
  e.add_seeds(2);
  e.mutable_data()->set_name(DataSet::FASHION_MNIST);
  return e;
}

TEST(ExperimentTest, AcceptsAValidConfig) {
  EXPECT_TRUE(ValidateExperiment(Valid(), "x/t.cpu.pbtxt").ok());
}

TEST(ExperimentTest, RejectsBadFieldsNamingThem) {
  Experiment e = Valid();
  EXPECT_NE(ValidateExperiment(e, "x/t.smoke.pbtxt").message().find("experiment.scale"), std::string::npos);
  e = Valid();
  e.clear_seeds();
  EXPECT_NE(ValidateExperiment(e, "x/t.cpu.pbtxt").message().find("experiment.seeds"), std::string::npos);
  e = Valid();
  e.add_seeds(1);
  EXPECT_NE(ValidateExperiment(e, "x/t.cpu.pbtxt").message().find("duplicate"), std::string::npos);
  e = Valid();
  e.mutable_data()->set_max_train(-1);
  EXPECT_NE(ValidateExperiment(e, "x/t.cpu.pbtxt").message().find("max_train"), std::string::npos);
  e = Valid();
  e.mutable_data()->clear_name();
  EXPECT_NE(ValidateExperiment(e, "x/t.cpu.pbtxt").message().find("experiment.data.name"), std::string::npos);
}

TEST(ExperimentTest, StartReportUsesSeedOverride) {
  TableRun run;
  TableReport report;
  EXPECT_EQ(StartReport(Valid(), run, &report), (std::vector<uint64_t>{1, 2}));
  run.seeds_override = {7};
  EXPECT_EQ(StartReport(Valid(), run, &report), (std::vector<uint64_t>{7}));
  EXPECT_EQ(report.seeds_size(), 1);
  EXPECT_EQ(report.scale(), "cpu");
}

TEST(ExperimentTest, DataPathDefaults) {
  TableRun run;
  run.fashion_mnist_dir = "/fm";
  run.data_dir = "/data";
  DataSet d;
  d.set_name(DataSet::FASHION_MNIST);
  EXPECT_EQ(DataPath(d, run), "/fm");
  d.set_name(DataSet::CIFAR100);
  EXPECT_EQ(DataPath(d, run), "/data/cifar100");
  d.set_path("/mine");
  EXPECT_EQ(DataPath(d, run), "/mine");
}

}  // namespace
}  // namespace repro
