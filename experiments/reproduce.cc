// reproduce: regenerates the tables of every paper (or those asked for) at one scale and writes them
// in the results contract (results/<paper>/<table>.{md,csv,json,svg} and results/README.md).
//
//   ./bazelw run //experiments:reproduce -- [--scale=smoke|cpu|paper] [--papers=bt2,spartan]
//       [--tables=bt2_main] [--threads=N] [--seeds=1,2] [--output_dir=DIR] [--cache_dir=DIR]
//
// Every config is validated before anything trains. A table that fails to run is reported and the
// program exits non-zero after running the rest; a claim that does not hold is a result, not a
// failure.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/data/fashion_mnist.h"
#include "common/port/main.h"
#include "common/port/status_macros.h"
#include "common/port/threads.h"
#include "common/port/torch.h"
#include "common/results/atomic_file.h"
#include "common/results/cache_path.h"
#include "common/results/registry.h"
#include "common/results/sha256.h"
#include "common/results/writer.h"
#include "gflags/gflags.h"

DEFINE_string(scale, "cpu", "smoke (seconds, what the tests run), cpu (minutes on 2 cores; what "
                            "results/ holds) or paper (the paper's data and settings).");
DEFINE_string(papers, "", "Comma-separated papers to run (common,bt2,backfill,spartan,mvformer); "
                          "empty: all.");
DEFINE_string(tables, "", "Comma-separated table names to run (e.g. bt2_main); empty: all tables of "
                          "the selected papers.");
DEFINE_int32(threads, 0, "Intra-op threads for LibTorch/OpenBLAS; 0: all hardware threads.");
DEFINE_string(seeds, "", "Comma-separated seeds overriding each config's seeds; empty: the config's.");
DEFINE_string(output_dir, "", "Results root; empty: <workspace>/results under `bazel run`, else ./results.");
DEFINE_string(cache_dir, "", "Trained-model cache; empty: $XDG_CACHE_HOME/repro-models or "
                             "~/.cache/repro-models.");
DEFINE_string(fashion_mnist_dir, repro::kFashionMnistDir,
              "Folder with Fashion-MNIST's gzipped IDX files (Debian package dataset-fashion-mnist).");
DEFINE_string(data_dir, "", "Root of the paper-scale data sets (imagenet1k/, cifar100/, ...).");
DEFINE_bool(list, false, "List the registered tables and exit.");
DEFINE_bool(validate_only, false, "Validate the selected configs and exit without running.");

namespace repro {
namespace {

namespace fs = std::filesystem;

std::string WorkspaceDir() {
  const char* dir = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return dir != nullptr ? dir : "";
}

// Configs travel as runfiles (the current folder under `bazel run` and `bazel test`); outside
// Bazel, the workspace folder holds them.
std::string ConfigPath(const std::string& paper, const std::string& table, const std::string& scale) {
  const std::string relative = absl::StrCat("experiments/", paper, "/", table, ".", scale, ".pbtxt");
  if (fs::exists(relative) || WorkspaceDir().empty()) return relative;
  return absl::StrCat(WorkspaceDir(), "/", relative);
}

std::string GitCommit() {
  const std::string dir = WorkspaceDir().empty() ? "." : WorkspaceDir();
  std::string out;
  if (FILE* pipe = popen(absl::StrCat("git -C '", dir, "' rev-parse --short=12 HEAD 2>/dev/null").c_str(), "r")) {
    char buffer[128];
    while (fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

absl::StatusOr<std::vector<uint64_t>> ParseSeeds(const std::string& text) {
  std::vector<uint64_t> seeds;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    uint64_t seed;
    if (!absl::SimpleAtoi(part, &seed)) {
      return absl::InvalidArgumentError(absl::StrCat("--seeds: '", part, "' is not a seed (use e.g. --seeds=1,2,3)"));
    }
    seeds.push_back(seed);
  }
  return seeds;
}

struct Outcome {
  std::string name;
  std::string status;  // "ok" or the error
  int held = 0;
  int claims = 0;
  double seconds = 0;
};

absl::Status Run() {
  const std::set<std::string> scales = {"smoke", "cpu", "paper"};
  if (scales.count(FLAGS_scale) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("--scale=", FLAGS_scale, " is not one of smoke, cpu, paper"));
  }
  const int threads = SetThreads(FLAGS_threads);
  ASSIGN_OR_RETURN(std::vector<uint64_t> seeds, ParseSeeds(FLAGS_seeds));

  const std::vector<std::string> papers = absl::StrSplit(FLAGS_papers, ',', absl::SkipEmpty());
  const std::vector<std::string> tables = absl::StrSplit(FLAGS_tables, ',', absl::SkipEmpty());
  std::vector<TableEntry> selected;
  std::set<std::string> known_papers, known_tables;
  for (const TableEntry& entry : TableRegistry::All()) {
    known_papers.insert(entry.paper);
    known_tables.insert(entry.table);
    const bool paper_ok = papers.empty() || std::count(papers.begin(), papers.end(), entry.paper);
    const bool table_ok = tables.empty() || std::count(tables.begin(), tables.end(), entry.table);
    if (paper_ok && table_ok) selected.push_back(entry);
  }
  for (const std::string& paper : papers) {
    if (!known_papers.count(paper)) {
      return absl::InvalidArgumentError(absl::StrCat("--papers: unknown paper '", paper, "'; known: ",
                                                     absl::StrJoin(known_papers, ",")));
    }
  }
  for (const std::string& table : tables) {
    if (!known_tables.count(table)) {
      return absl::InvalidArgumentError(absl::StrCat("--tables: unknown table '", table, "'; known: ",
                                                     absl::StrJoin(known_tables, ",")));
    }
  }
  if (FLAGS_list) {
    for (const TableEntry& entry : selected) std::printf("%s/%s\n", entry.paper.c_str(), entry.table.c_str());
    return absl::OkStatus();
  }
  if (selected.empty()) return absl::InvalidArgumentError("no table matches --papers/--tables");

  // Validate every selected config before anything trains.
  std::vector<TableRun> runs;
  for (const TableEntry& entry : selected) {
    TableRun run;
    run.config_path = ConfigPath(entry.paper, entry.table, FLAGS_scale);
    auto text = ReadFile(run.config_path);
    if (!text.ok()) {
      return absl::NotFoundError(absl::StrCat("config ", run.config_path, " not found; table ",
                                              entry.table, " has no ", FLAGS_scale, "-scale config"));
    }
    run.config_text = *text;
    RETURN_IF_ERROR(entry.validate(run.config_text, run.config_path));
    run.scale = FLAGS_scale;
    run.seeds_override = seeds;
    run.threads = threads;
    run.cache_dir = FLAGS_cache_dir.empty() ? DefaultCacheDir() : FLAGS_cache_dir;
    run.fashion_mnist_dir = FLAGS_fashion_mnist_dir;
    run.data_dir = FLAGS_data_dir;
    runs.push_back(std::move(run));
  }
  if (FLAGS_validate_only) {
    std::printf("%zu config(s) valid\n", runs.size());
    return absl::OkStatus();
  }
  const std::string output_dir =
      !FLAGS_output_dir.empty() ? FLAGS_output_dir
                                : (WorkspaceDir().empty() ? "results" : WorkspaceDir() + "/results");
  RETURN_IF_ERROR(MakeWritableDir(output_dir));
  const std::string commit = GitCommit();

  std::vector<Outcome> outcomes;
  bool failed = false;
  for (size_t i = 0; i < selected.size(); ++i) {
    const TableEntry& entry = selected[i];
    const TableRun& run = runs[i];
    Outcome outcome{absl::StrCat(entry.paper, "/", entry.table), "ok"};
    std::fprintf(stderr, "== %s (%s scale, %d threads)\n", outcome.name.c_str(), FLAGS_scale.c_str(), threads);
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<TableOutput> output;
    try {
      output = entry.run(run);
    } catch (const c10::Error& e) {
      output = absl::InternalError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      output = absl::InternalError(e.what());
    }
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (output.ok()) {
      TableReport& report = output->report;
      report.set_paper(entry.paper);
      report.set_table(entry.table);
      report.set_threads(threads);
      report.set_wall_seconds(outcome.seconds);
      report.set_git_commit(commit);
      report.set_config_sha256(Sha256Hex(run.config_text));
      report.set_config_path(absl::StrCat("experiments/", entry.paper, "/", entry.table, ".", FLAGS_scale, ".pbtxt"));
      for (const Claim& claim : report.claims()) outcome.held += claim.holds() ? 1 : 0;
      outcome.claims = report.claims_size();
      const absl::Status written = WriteTable(report, output->svgs, output_dir);
      if (!written.ok()) outcome.status = std::string(written.message());
    } else {
      outcome.status = std::string(output.status().message());
    }
    if (outcome.status != "ok") {
      failed = true;
      std::fprintf(stderr, "%s: error: %s\n", outcome.name.c_str(), outcome.status.c_str());
    }
    outcomes.push_back(outcome);
  }

  std::printf("\n%-34s %-8s %9s  %s\n", "table", "claims", "wall", "status");
  for (const Outcome& o : outcomes) {
    std::printf("%-34s %3d/%-4d %8.1fs  %s\n", o.name.c_str(), o.held, o.claims, o.seconds, o.status.c_str());
  }
  std::printf("results in %s\n", output_dir.c_str());
  if (failed) return absl::InternalError("at least one table failed to run (see above)");
  return absl::OkStatus();
}

}  // namespace
}  // namespace repro

int main(int argc, char** argv) {
  return repro::RunMain(argc, argv,
                        "Regenerates the papers' tables. Usage: reproduce [--scale=smoke|cpu|paper] "
                        "[--papers=...] [--tables=...] [--threads=N] [--seeds=...] [--output_dir=...] "
                        "[--cache_dir=...]",
                        repro::Run);
}
