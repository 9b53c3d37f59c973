// earshot — the host simulation binary: runs the device code path on a PC.
#include <cstdio>
#include <map>

#include "commands.h"
#include "earshot/earshot.h"

int main(int argc, char** argv) {
  CLI::App app{"earshot: offline speech recognizer (host simulation of the device code path)"};
  app.set_version_flag("--version", std::string("earshot ") + EARSHOT_VERSION);
  app.require_subcommand(1);
  std::map<CLI::App*, earshot::cli::Runner> runners;
  auto add = [&](earshot::cli::Runner (*f)(CLI::App&)) {
    const size_t before = app.get_subcommands({}).size();
    auto r = f(app);
    runners[app.get_subcommands({})[before]] = std::move(r);
  };
  add(earshot::cli::add_features);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : earshot::cli::kExitUsage;
  }
  for (auto& [sub, run] : runners)
    if (sub->parsed()) return run();
  return earshot::cli::kExitUsage;
}
