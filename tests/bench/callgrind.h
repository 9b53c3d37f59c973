// Instruction counts for the benchmarks: runs one of the benchmark's own child
// modes under `valgrind --tool=callgrind` and reads the "Collected" total.
// Counts are repeatable whatever else the machine does, unlike seconds.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace earshot::bench {

// `command` is the child's command line; the child prints "child-ran" once it
// has run (so an ISA valgrind cannot execute, e.g. AVX-512, reports -1 rather
// than the count of a process that stopped early). -1 also without valgrind.
inline double callgrind_instructions(const std::string& command) {
  const std::string cmd = "valgrind --tool=callgrind --callgrind-out-file=/dev/null " + command +
                          " 2>&1 | grep -o -e 'Collected : [0-9]*' -e 'child-ran'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[128];
  bool ran = false;
  double instr = -1;
  while (std::fgets(buf, sizeof buf, p)) {
    if (!std::strncmp(buf, "child-ran", 9)) ran = true;
    else if (!std::strncmp(buf, "Collected : ", 12)) instr = std::atof(buf + 12);
  }
  pclose(p);
  return ran ? instr : -1;
}

}  // namespace earshot::bench
