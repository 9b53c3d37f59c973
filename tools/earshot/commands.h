// Each subcommand registers its options on the CLI11 app and returns a runner.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace earshot::cli {

using Runner = std::function<int()>;
// Exit codes (README "Exit codes"): 0 ok, 1 some input failed, 2 usage error.
inline constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2;

Runner add_transcribe(CLI::App& app);  // cmd_transcribe.cpp
Runner add_stream(CLI::App& app);      // cmd_stream.cpp
Runner add_eval(CLI::App& app);        // cmd_eval.cpp
Runner add_features(CLI::App& app);    // cmd_features.cpp
Runner add_bench(CLI::App& app);       // cmd_bench.cpp
Runner add_plot(CLI::App& app);        // cmd_plot.cpp

}  // namespace earshot::cli
