#include "common/data/video/frame_folder.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace repro {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view stripped = absl::StripAsciiWhitespace(line);
    if (!stripped.empty()) lines.emplace_back(stripped);
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading ", path));
  return lines;
}

bool IsImageExtension(std::string ext) {
  ext = absl::AsciiStrToLower(ext);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// Frame files of `dir` by number (1-based); errors on a gap or a duplicate number.
absl::StatusOr<std::vector<std::string>> ListFrames(const std::string& dir, const std::string& video) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("video ", video, ": frame folder ", dir, " not found"));
  }
  std::map<int64_t, std::string> by_number;
  std::string extension;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || !IsImageExtension(entry.path().extension().string())) continue;
    int64_t number = 0;
    if (!absl::SimpleAtoi(entry.path().stem().string(), &number) || number < 1) {
      return absl::InvalidArgumentError(absl::StrCat("video ", video, ": frame file ",
                                                     entry.path().string(),
                                                     " is not named <number>.<ext> (from 000001)"));
    }
    if (!by_number.emplace(number, entry.path().string()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("video ", video, ": two files for frame ", number, " in ", dir));
    }
    extension = entry.path().extension().string();
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::vector<std::string> frames;
  int64_t expected = 1;
  for (const auto& [number, path] : by_number) {
    if (number != expected) {
      return absl::NotFoundError(absl::StrFormat("video %s: missing frame %s/%06d%s", video, dir,
                                                 expected, extension));
    }
    frames.push_back(path);
    ++expected;
  }
  if (frames.empty()) {
    return absl::NotFoundError(absl::StrCat("video ", video, ": no frames in ", dir));
  }
  return frames;
}

absl::StatusOr<torch::Tensor> ReadLabels(const std::string& path, const std::string& video) {
  auto lines = ReadLines(path);
  if (!lines.ok()) {
    return absl::NotFoundError(absl::StrCat("video ", video, ": label file ", path, " not found"));
  }
  std::vector<int64_t> labels;
  for (size_t i = 0; i < lines->size(); ++i) {
    int64_t label = 0;
    if (!absl::SimpleAtoi((*lines)[i], &label) || label < -1) {
      return absl::InvalidArgumentError(absl::StrCat("video ", video, ": ", path, ":", i + 1,
                                                     ": expected a phase label >= -1, got '",
                                                     (*lines)[i], "'"));
    }
    labels.push_back(label);
  }
  return torch::tensor(labels, torch::kInt64);
}

}  // namespace

absl::StatusOr<Video> ReadFrameFolderVideo(const std::string& root, const std::string& name,
                                           int action, const FrameFolderOptions& options) {
  const std::string frame_dir = absl::StrCat(root, "/frames/", name);
  const std::string label_path = absl::StrCat(root, "/labels/", name, ".txt");
  ASSIGN_OR_RETURN(const std::vector<std::string> files, ListFrames(frame_dir, name));
  ASSIGN_OR_RETURN(torch::Tensor labels, ReadLabels(label_path, name));
  if (labels.size(0) != static_cast<int64_t>(files.size())) {
    return absl::InvalidArgumentError(absl::StrCat("video ", name, ": label file ", label_path, " has ",
                                                   labels.size(0), " labels but ", frame_dir, " has ",
                                                   files.size(), " frames"));
  }
  const int channels = options.grayscale ? 1 : 3;
  Video video;
  video.name = name;
  video.action = action;
  video.phases = labels;
  for (size_t i = 0; i < files.size(); ++i) {
    cv::Mat image = cv::imread(files[i], options.grayscale ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    if (image.empty()) {
      return absl::DataLossError(
          absl::StrCat("video ", name, ": cannot decode image ", files[i], " (corrupt or not an image)"));
    }
    if (!options.grayscale) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
    if (options.height > 0 && options.width > 0 &&
        (image.rows != options.height || image.cols != options.width)) {
      cv::Mat resized;
      cv::resize(image, resized, cv::Size(options.width, options.height), 0, 0, cv::INTER_AREA);
      image = resized;
    }
    if (i == 0) {
      video.frames = torch::empty({static_cast<int64_t>(files.size()), channels, image.rows, image.cols},
                                  torch::kUInt8);
    } else if (image.rows != video.frames.size(2) || image.cols != video.frames.size(3)) {
      return absl::InvalidArgumentError(absl::StrCat("video ", name, ": frame ", files[i], " is ",
                                                     image.cols, "x", image.rows, " but frame 1 is ",
                                                     video.frames.size(3), "x", video.frames.size(2)));
    }
    // [H, W, C] interleaved -> [C, H, W].
    const torch::Tensor hwc =
        torch::from_blob(image.ptr<uint8_t>(), {image.rows, image.cols, channels},
                         {static_cast<int64_t>(image.step[0]), channels, 1}, torch::kUInt8);
    video.frames[static_cast<int64_t>(i)].copy_(hwc.permute({2, 0, 1}));
  }
  return video;
}

absl::StatusOr<VideoDataset> ReadFrameFolderDataset(const std::string& root,
                                                    const FrameFolderOptions& options) {
  VideoDataset data;
  const std::string actions_path = absl::StrCat(root, "/actions.txt");
  auto action_lines = ReadLines(actions_path);
  if (!action_lines.ok()) {
    return absl::NotFoundError(absl::StrCat("video data set not found: ", actions_path,
                                            " is missing; pass the folder written by "
                                            "write_sprite_phase or a converted Penn Action folder"));
  }
  std::map<std::string, int> action_index;
  for (size_t i = 0; i < action_lines->size(); ++i) {
    const std::vector<std::string> parts =
        absl::StrSplit((*action_lines)[i], ' ', absl::SkipWhitespace());
    int phases = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &phases) || phases < 1) {
      return absl::InvalidArgumentError(absl::StrCat(actions_path, ":", i + 1,
                                                     ": expected '<action> <num_phases>'"));
    }
    action_index[parts[0]] = static_cast<int>(data.actions.size());
    data.actions.push_back({parts[0], phases});
  }
  for (const char* split : {"train", "val"}) {
    const std::string list_path = absl::StrCat(root, "/", split, ".txt");
    ASSIGN_OR_RETURN(const std::vector<std::string> lines, ReadLines(list_path));
    std::vector<std::pair<std::string, int>> wanted;
    std::vector<int> per_action(data.actions.size(), 0);
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::vector<std::string> parts = absl::StrSplit(lines[i], ' ', absl::SkipWhitespace());
      if (parts.size() != 2) {
        return absl::InvalidArgumentError(
            absl::StrCat(list_path, ":", i + 1, ": expected '<video> <action>'"));
      }
      const auto it = action_index.find(parts[1]);
      if (it == action_index.end()) {
        return absl::InvalidArgumentError(absl::StrCat(list_path, ":", i + 1, ": action '", parts[1],
                                                       "' is not in ", actions_path));
      }
      if (options.max_videos_per_action > 0 && per_action[it->second] >= options.max_videos_per_action) {
        continue;
      }
      ++per_action[it->second];
      wanted.emplace_back(parts[0], it->second);
    }
    std::vector<absl::StatusOr<Video>> videos(wanted.size(), absl::UnknownError("not read"));
    at::parallel_for(0, static_cast<int64_t>(wanted.size()), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        videos[i] = ReadFrameFolderVideo(root, wanted[i].first, wanted[i].second, options);
      }
    });
    std::vector<Video>& out = std::string(split) == "train" ? data.train : data.val;
    for (auto& video : videos) {
      if (!video.ok()) return video.status();
      const int num_phases = data.actions[video->action].num_phases;
      if (video->phases.numel() > 0 && video->phases.max().item<int64_t>() >= num_phases) {
        return absl::InvalidArgumentError(absl::StrCat("video ", video->name, ": a phase label is >= ",
                                                       num_phases, ", the phase count of its action"));
      }
      out.push_back(std::move(*video));
    }
  }
  return data;
}

absl::Status WriteFrameFolderDataset(const VideoDataset& data, const std::string& root) {
  std::error_code ec;
  fs::create_directories(fs::path(root) / "frames", ec);
  fs::create_directories(fs::path(root) / "labels", ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", root, ": ", ec.message()));
  auto write_text = [](const std::string& path, const std::string& text) -> absl::Status {
    std::ofstream out(path);
    out << text;
    if (!out) return absl::DataLossError(absl::StrCat("cannot write ", path));
    return absl::OkStatus();
  };
  std::string actions;
  for (const VideoAction& action : data.actions) {
    absl::StrAppend(&actions, action.name, " ", action.num_phases, "\n");
  }
  RETURN_IF_ERROR(write_text(absl::StrCat(root, "/actions.txt"), actions));
  for (const auto* videos : {&data.train, &data.val}) {
    std::string list;
    for (const Video& video : *videos) {
      if (video.action < 0 || video.action >= static_cast<int>(data.actions.size())) {
        return absl::InvalidArgumentError(absl::StrCat("video ", video.name, ": action out of range"));
      }
      absl::StrAppend(&list, video.name, " ", data.actions[video.action].name, "\n");
      const std::string dir = absl::StrCat(root, "/frames/", video.name);
      fs::create_directories(dir, ec);
      if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir));
      const torch::Tensor hwc = video.frames.permute({0, 2, 3, 1}).contiguous();
      const int channels = static_cast<int>(hwc.size(3));
      for (int64_t t = 0; t < video.length(); ++t) {
        cv::Mat image(static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(2)),
                      channels == 1 ? CV_8UC1 : CV_8UC3, hwc[t].data_ptr<uint8_t>());
        cv::Mat bgr;
        if (channels == 3) cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
        const std::string path = absl::StrFormat("%s/%06d.png", dir, t + 1);
        if (!cv::imwrite(path, channels == 3 ? bgr : image)) {
          return absl::DataLossError(absl::StrCat("cannot write ", path));
        }
      }
      std::string labels;
      const torch::Tensor phases = video.phases.to(torch::kInt64).contiguous();
      for (int64_t t = 0; t < phases.numel(); ++t) absl::StrAppend(&labels, phases.data_ptr<int64_t>()[t], "\n");
      RETURN_IF_ERROR(write_text(absl::StrCat(root, "/labels/", video.name, ".txt"), labels));
    }
    RETURN_IF_ERROR(write_text(absl::StrCat(root, videos == &data.train ? "/train.txt" : "/val.txt"), list));
  }
  return absl::OkStatus();
}

}  // namespace repro
