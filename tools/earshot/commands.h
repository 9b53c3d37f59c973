// Each subcommand registers its options on the CLI11 app and returns a runner.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace earshot::cli {

using Runner = std::function<int()>;
// Exit codes (README "Exit codes"): 0 ok, 1 some input failed, 2 usage error.
inline constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2;

Runner add_features(CLI::App& app);

}  // namespace earshot::cli
