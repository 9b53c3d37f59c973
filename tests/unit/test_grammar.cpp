#include <string>
#include <vector>

#include "decoder/grammar.h"
#include "doctest.h"

using namespace earshot;

namespace {

const char kVocab[] = "\0 'abcdefghijklmnopqrstuvwxyz";  // index 0 = end token
constexpr uint32_t kV = 29;

struct G {
  std::vector<uint64_t> mem;
  const Grammar* g = nullptr;
  Error err;
  earshot_status st;
  explicit G(const std::string& text, GrammarKind kind = GrammarKind::kAuto, size_t bytes = 1 << 20) : mem(bytes / 8) {
    size_t needed = 0;
    st = Grammar::compile(text, kind, kVocab, kV, mem.data(), bytes, &g, &needed, err);
  }
  bool ok(const char* t) const { return g && g->accepts(t, kVocab, kV); }
};

bool says(const G& g, const char* what) { return std::string(g.err.message).find(what) != std::string::npos; }

}  // namespace

TEST_CASE("phrase list: exactly the listed phrases, case and spacing normalised") {
  G g("Turn on the lights\n  turn off   the lights \n# a comment\n\nstop\n");
  REQUIRE(g.st == EARSHOT_OK);
  CHECK(g.ok("turn on the lights"));
  CHECK(g.ok("turn off the lights"));
  CHECK(g.ok("stop"));
  CHECK_FALSE(g.ok("turn on the"));
  CHECK_FALSE(g.ok("turn on the lights "));
  CHECK_FALSE(g.ok(" stop"));
  CHECK_FALSE(g.ok("stops"));
  CHECK_FALSE(g.ok("turn  on the lights"));
  CHECK_FALSE(g.ok(""));
  // The automaton is deterministic and shares prefixes: "turn o" has both n and f next.
  uint32_t s = g.g->start();
  for (char c : std::string("turn o")) s = g.g->next(s, static_cast<uint32_t>(std::string(kVocab + 1, kV - 1).find(c) + 1));
  REQUIRE(s != Grammar::kNoState);
  uint32_t n = 0;
  g.g->edges(s, &n);
  CHECK(n == 2);
}

TEST_CASE("a word that is a prefix of another") {
  G g("turn\nturned off\n");
  REQUIRE(g.st == EARSHOT_OK);
  CHECK(g.ok("turn"));
  CHECK(g.ok("turned off"));
  CHECK_FALSE(g.ok("turned"));
  CHECK_FALSE(g.ok("turn off"));
}

TEST_CASE("JSGF: alternatives, optionals, groups, rule references, repeats, comments") {
  G g(R"(#JSGF V1.0 UTF-8;
grammar home;
// device control
public <command> = <action> [the] <device> [please];
<action> = turn (on | off) | switch (on | off);
<device> = kitchen lights | fan | "living room" lamp;  /* quoted words */
public <count> = count <digit>+;
<digit> = one | two | three;
<unused> = never said;
)");
  REQUIRE_MESSAGE(g.st == EARSHOT_OK, g.err.message);
  for (const char* t : {"turn on the kitchen lights", "turn off fan please", "switch on the living room lamp",
                        "count one", "count one two three three"})
    CHECK_MESSAGE(g.ok(t), t);
  for (const char* t : {"turn the fan", "turn on", "count", "never said", "switch on the the fan", "turn on fan please please"})
    CHECK_MESSAGE(!g.ok(t), t);
}

TEST_CASE("JSGF header in any case and version; <NULL> and weights and tags") {
  G g("#jsgf v2.3;\npublic <a> = /5/ yes {tag} | /1/ no <NULL>;\n");
  REQUIRE_MESSAGE(g.st == EARSHOT_OK, g.err.message);
  CHECK(g.ok("yes"));
  CHECK(g.ok("no"));
  CHECK_FALSE(g.ok("yes no"));
}

TEST_CASE("word list: any sequence of the words") {
  G g("red\ngreen blue\n", GrammarKind::kWordList);
  REQUIRE(g.st == EARSHOT_OK);
  CHECK(g.ok("red"));
  CHECK(g.ok("blue red green red"));
  CHECK_FALSE(g.ok("red yellow"));
  CHECK_FALSE(g.ok("redgreen"));
  CHECK_FALSE(g.ok("red "));
}

TEST_CASE("a large word list stays one trie per word state (compiles in linear space)") {
  // 3000 distinct words of 3..8 letters, as a user's vocabulary file would be.
  std::string text, first, last;
  uint32_t chars = 0;
  uint64_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    std::string w;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const int len = 3 + static_cast<int>((x >> 33) % 6);
    for (int k = 0; k < len; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      w += static_cast<char>('a' + (x >> 33) % 26);
    }
    w += static_cast<char>('a' + i % 26);  // with the counter below: all distinct
    w += static_cast<char>('a' + (i / 26) % 26);
    w += static_cast<char>('a' + i / 676);
    text += w + "\n";
    chars += static_cast<uint32_t>(w.size());
    if (i == 0) first = w;
    last = w;
  }
  G g(text, GrammarKind::kWordList, size_t{8} << 20);
  REQUIRE(g.st == EARSHOT_OK);
  // Word states: the start and "after a word" (before, one per word: 3000 tries).
  CHECK(g.g->num_states() <= 2 * (chars + 1));
  CHECK(g.ok(first.c_str()));
  CHECK(g.ok((first + " " + last + " " + first).c_str()));
  CHECK_FALSE(g.ok((first + last).c_str()));
}

TEST_CASE("bad grammars are rejected with line and column") {
  G a("#JSGF V1.0;\npublic <a> = turn on\n");
  CHECK(a.st == EARSHOT_ERR_BAD_GRAMMAR);
  CHECK(says(a, "expected ';'"));
  G b("#JSGF V1.0;\npublic <a> = <b>;\n");
  CHECK(says(b, "undefined rule <b"));
  CHECK(says(b, "line 2"));
  G c("#JSGF V1.0;\npublic <a> = go <a>;\n");
  CHECK(says(c, "recursive"));
  G d("#JSGF V1.0;\n<a> = go;\n");
  CHECK(says(d, "no public rule"));
  G e("set timer 5 minutes\n");
  CHECK(e.st == EARSHOT_ERR_BAD_GRAMMAR);
  CHECK(says(e, "line 1 column 11"));
  CHECK(says(e, "'5'"));
  G f("\n\n# only comments\n");
  CHECK(says(f, "no phrases"));
  G h("#JSGF V1.0;\npublic <a> = (go | stop;\n");
  CHECK(says(h, "expected ')'"));
  G i("#JSGF V1.0;\npublic <a> = go;\npublic <a> = stop;\n");
  CHECK(says(i, "defined twice"));
  G j("#JSGF V1.0;\nimport <x.y>;\npublic <a> = go;\n");
  CHECK(says(j, "import"));
}

TEST_CASE("too little memory is reported with a size that works") {
  const std::string text = "turn on the kitchen lights\nturn off the kitchen lights\nset a timer for ten minutes\n";
  std::vector<uint64_t> mem(1 << 16);
  const Grammar* g = nullptr;
  Error err;
  size_t need = 0, size = 64;
  earshot_status st;
  int tries = 0;
  while ((st = Grammar::compile(text, GrammarKind::kAuto, kVocab, kV, mem.data(), size, &g, &need, err)) ==
         EARSHOT_ERR_MEMORY_TOO_SMALL) {
    CHECK(need > size);
    size = need;
    REQUIRE(++tries < 40);
  }
  REQUIRE(st == EARSHOT_OK);
  CHECK(g->accepts("set a timer for ten minutes", kVocab, kV));
  CHECK(need <= size);  // the compact result
}
