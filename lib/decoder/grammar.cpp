#include "decoder/grammar.h"

#include <cstdio>
#include <cstring>
#include <new>

namespace earshot {
namespace {

// ---- caller-memory bump allocator ------------------------------------------
struct Bump {
  uint8_t* base;
  size_t size;
  size_t used = 0;
  size_t needed = 0;  // lower bound on what would have been enough, after a failure
  bool ok = true;
  void* raw(size_t bytes) {
    size_t at = (used + 7) & ~size_t{7};
    if (!ok || at + bytes > size) {
      if (ok) needed = at + bytes;
      ok = false;
      return nullptr;
    }
    used = at + bytes;
    return base + at;
  }
  template <typename T>
  T* make(size_t n) {
    auto* p = static_cast<T*>(raw(n * sizeof(T) + 1));
    if (p) std::memset(static_cast<void*>(p), 0, n * sizeof(T));
    return p;
  }
};

// A growable array inside the bump area (growth abandons the old block: at most
// twice the final size is used).
template <typename T>
struct Vec {
  T* data = nullptr;
  uint32_t n = 0, cap = 0;
  bool push(Bump& b, const T& v) {
    if (n == cap) {
      const uint32_t nc = cap ? cap * 2 : 16;
      T* nd = b.make<T>(nc);
      if (!nd) return false;
      if (n) std::memcpy(static_cast<void*>(nd), data, n * sizeof(T));
      data = nd;
      cap = nc;
    }
    data[n++] = v;
    return true;
  }
};

// ---- source text ------------------------------------------------------------
struct Lexer {
  std::string_view s;
  size_t pos = 0;
  uint32_t line = 1, col = 1;
  bool eof() const { return pos >= s.size(); }
  char peek(size_t k = 0) const { return pos + k < s.size() ? s[pos + k] : '\0'; }
  void adv() {
    if (s[pos] == '\n') { ++line; col = 1; } else { ++col; }
    ++pos;
  }
};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool word_char(char c) {
  c = lower(c);
  return (c >= 'a' && c <= 'z') || c == '\'' || c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') ||
         static_cast<unsigned char>(c) >= 0x80;
}

enum NodeKind : uint8_t { kWord, kSeq, kAlt, kOpt, kStar, kPlus, kRef, kNull, kVoid };
struct Node {
  NodeKind kind;
  int32_t value;  // word id or rule id
  int32_t child = -1, next = -1, last = -1;
};
struct Rule {
  std::string_view name;
  int32_t body = -1;
  bool is_public = false;
  uint8_t mark = 0;  // 1 = expanding (cycle detection)
  uint32_t line = 0, col = 0;
};
struct WordEntry {
  uint32_t offset, length;
};

constexpr int kMaxDepth = 64;
constexpr uint32_t kMaxStates = 1u << 20;

struct Compiler {
  Bump& bump;
  Error& err;
  const int16_t* char_token;  // 256 entries, -1 = not in the vocabulary
  int16_t space_token;
  Vec<Node> nodes;
  Vec<Rule> rules;
  Vec<WordEntry> words;
  Vec<char> pool;
  bool failed = false;

  earshot_status oom() { return err.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "grammar: needs more than %zu bytes of memory", bump.size); }
  bool fail(uint32_t line, uint32_t col, const char* what, std::string_view detail = "") {
    if (!failed) {
      if (line)
        err.set(EARSHOT_ERR_BAD_GRAMMAR, "grammar: line %u column %u: %s%.*s", line, col, what,
                static_cast<int>(detail.size()), detail.data());
      else
        err.set(EARSHOT_ERR_BAD_GRAMMAR, "grammar: %s%.*s", what, static_cast<int>(detail.size()), detail.data());
    }
    failed = true;
    return false;
  }

  int32_t node(NodeKind k, int32_t value = 0) {
    if (!nodes.push(bump, Node{k, value})) return -1;
    return static_cast<int32_t>(nodes.n - 1);
  }
  void append(int32_t parent, int32_t child) {
    Node& p = nodes.data[parent];
    if (p.child < 0) p.child = child; else nodes.data[p.last].next = child;
    p.last = child;
  }

  // Adds a word (lowercased, checked against the vocabulary); returns its id or -1.
  int32_t word(std::string_view w, uint32_t line, uint32_t col) {
    for (size_t i = 0; i < w.size(); ++i) {
      const char c = lower(w[i]);
      if (c == ' ' || char_token[static_cast<unsigned char>(c)] < 0) {
        char d[80];
        std::snprintf(d, sizeof d, "'%c' in \"%.*s\" is not in the model's alphabet (spell numbers out)", c,
                      static_cast<int>(w.size() < 24 ? w.size() : 24), w.data());
        fail(line, col + static_cast<uint32_t>(i), "", d);
        return -1;
      }
    }
    for (uint32_t i = 0; i < words.n; ++i) {
      const WordEntry& e = words.data[i];
      if (e.length != w.size()) continue;
      bool same = true;
      for (size_t k = 0; k < w.size() && same; ++k) same = pool.data[e.offset + k] == lower(w[k]);
      if (same) return static_cast<int32_t>(i);
    }
    const uint32_t off = pool.n;
    for (char c : w)
      if (!pool.push(bump, lower(c))) return -1;
    if (!words.push(bump, WordEntry{off, static_cast<uint32_t>(w.size())})) return -1;
    return static_cast<int32_t>(words.n - 1);
  }

  // A run of words (a phrase-list line or a quoted JSGF token) as a Seq node.
  int32_t phrase(std::string_view text, uint32_t line, uint32_t col) {
    const int32_t seq = node(kSeq);
    if (seq < 0) return -1;
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
      size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\r') ++j;
      if (j > i) {
        const int32_t w = word(text.substr(i, j - i), line, col + static_cast<uint32_t>(i));
        if (w < 0) return -1;
        const int32_t n = node(kWord, w);
        if (n < 0) return -1;
        append(seq, n);
      }
      i = j;
    }
    return seq;
  }

  // ---- JSGF ----
  void skip_space(Lexer& lx) {
    while (!lx.eof()) {
      const char c = lx.peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { lx.adv(); continue; }
      if (c == '/' && lx.peek(1) == '/') { while (!lx.eof() && lx.peek() != '\n') lx.adv(); continue; }
      if (c == '/' && lx.peek(1) == '*') {
        lx.adv(); lx.adv();
        while (!lx.eof() && !(lx.peek() == '*' && lx.peek(1) == '/')) lx.adv();
        if (!lx.eof()) { lx.adv(); lx.adv(); }
        continue;
      }
      break;
    }
  }
  bool expect(Lexer& lx, char c) {
    skip_space(lx);
    if (lx.peek() != c) {
      char d[40];
      std::snprintf(d, sizeof d, "expected '%c'%s", c, lx.eof() ? " before the end" : "");
      return fail(lx.line, lx.col, d);
    }
    lx.adv();
    return true;
  }
  std::string_view rule_name(Lexer& lx) {  // after '<'
    const size_t a = lx.pos;
    while (!lx.eof() && lx.peek() != '>' && lx.peek() != '\n') lx.adv();
    if (lx.peek() != '>') { fail(lx.line, lx.col, "unterminated rule name"); return {}; }
    std::string_view n = lx.s.substr(a, lx.pos - a);
    lx.adv();
    if (n.empty()) fail(lx.line, lx.col, "empty rule name");
    return n;
  }
  int32_t find_rule(std::string_view name, bool create, uint32_t line, uint32_t col) {
    for (uint32_t i = 0; i < rules.n; ++i)
      if (rules.data[i].name == name) return static_cast<int32_t>(i);
    if (!create) return -1;
    if (!rules.push(bump, Rule{name, -1, false, 0, line, col})) return -1;
    return static_cast<int32_t>(rules.n - 1);
  }

  int32_t alternatives(Lexer& lx, int depth);
  int32_t sequence(Lexer& lx, int depth) {
    const int32_t seq = node(kSeq);
    if (seq < 0) return -1;
    while (true) {
      skip_space(lx);
      if (lx.peek() == '/') {  // weight /number/ before an alternative: ignored
        lx.adv();
        while (!lx.eof() && lx.peek() != '/') lx.adv();
        if (!expect(lx, '/')) return -1;
        continue;
      }
      const char c = lx.peek();
      int32_t item = -1;
      const uint32_t line = lx.line, col = lx.col;
      if (c == '(' || c == '[') {
        lx.adv();
        const int32_t inner = alternatives(lx, depth + 1);
        if (inner < 0 || !expect(lx, c == '(' ? ')' : ']')) return -1;
        if (c == '[') {
          item = node(kOpt);
          if (item < 0) return -1;
          append(item, inner);
        } else {
          item = inner;
        }
      } else if (c == '<') {
        lx.adv();
        const std::string_view name = rule_name(lx);
        if (failed) return -1;
        if (name == "NULL") item = node(kNull);
        else if (name == "VOID") item = node(kVoid);
        else {
          const int32_t r = find_rule(name, true, line, col);
          if (r < 0) return -1;
          item = node(kRef, r);
        }
      } else if (c == '"') {
        lx.adv();
        const size_t a = lx.pos;
        while (!lx.eof() && lx.peek() != '"' && lx.peek() != '\n') lx.adv();
        if (lx.peek() != '"') { fail(line, col, "unterminated quoted token"); return -1; }
        item = phrase(lx.s.substr(a, lx.pos - a), line, col + 1);
        lx.adv();
      } else if (word_char(c)) {
        const size_t a = lx.pos;
        while (!lx.eof() && word_char(lx.peek())) lx.adv();
        const int32_t w = word(lx.s.substr(a, lx.pos - a), line, col);
        if (w < 0) return -1;
        item = node(kWord, w);
      } else {
        break;
      }
      if (item < 0) return -1;
      skip_space(lx);
      while (lx.peek() == '*' || lx.peek() == '+' || lx.peek() == '{') {
        if (lx.peek() == '{') {  // tags carry no text: skipped
          while (!lx.eof() && lx.peek() != '}') lx.adv();
          if (!expect(lx, '}')) return -1;
        } else {
          const int32_t rep = node(lx.peek() == '*' ? kStar : kPlus);
          if (rep < 0) return -1;
          append(rep, item);
          item = rep;
          lx.adv();
        }
        skip_space(lx);
      }
      append(seq, item);
    }
    if (nodes.data[seq].child < 0) { fail(lx.line, lx.col, "empty alternative"); return -1; }
    return seq;
  }

  bool parse_jsgf(std::string_view text) {
    Lexer lx{text};
    skip_space(lx);
    // Header: #JSGF <version> [<encoding>] [<locale>];
    if (lx.eof() || lx.peek() != '#') return fail(lx.line, lx.col, "expected the #JSGF header");
    while (!lx.eof() && lx.peek() != ';' && lx.peek() != '\n') lx.adv();
    if (!expect(lx, ';')) return false;
    bool any_public = false;
    while (true) {
      skip_space(lx);
      if (lx.eof()) break;
      const uint32_t line = lx.line, col = lx.col;
      size_t a = lx.pos;
      while (!lx.eof() && lx.peek() >= 'a' && lx.peek() <= 'z') lx.adv();
      std::string_view kw = text.substr(a, lx.pos - a);
      if (kw == "grammar" || kw == "import") {
        while (!lx.eof() && lx.peek() != ';') lx.adv();
        if (!expect(lx, ';')) return false;
        if (kw == "import") return fail(line, col, "import is not supported (put all rules in one grammar)");
        continue;
      }
      bool is_public = false;
      if (kw == "public") { is_public = true; skip_space(lx); }
      else if (!kw.empty()) return fail(line, col, "expected a rule definition, found ", kw);
      if (!expect(lx, '<')) return false;
      const std::string_view name = rule_name(lx);
      if (failed) return false;
      const int32_t r = find_rule(name, true, line, col);
      if (r < 0) return false;
      if (rules.data[r].body >= 0) return fail(line, col, "rule defined twice: ", name);
      if (!expect(lx, '=')) return false;
      const int32_t body = alternatives(lx, 0);
      if (body < 0 || !expect(lx, ';')) return false;
      rules.data[r].body = body;
      rules.data[r].is_public = is_public;
      rules.data[r].line = line;
      rules.data[r].col = col;
      any_public |= is_public;
    }
    for (uint32_t i = 0; i < rules.n; ++i)
      if (rules.data[i].body < 0) return fail(rules.data[i].line, rules.data[i].col, "undefined rule <", rules.data[i].name);
    if (!any_public) return fail(lx.line, lx.col, "no public rule: nothing can be said");
    return true;
  }
};

int32_t Compiler::alternatives(Lexer& lx, int depth) {
  if (depth > kMaxDepth) { fail(lx.line, lx.col, "nested too deeply"); return -1; }
  const int32_t alt = node(kAlt);
  if (alt < 0) return -1;
  while (true) {
    const int32_t s = sequence(lx, depth);
    if (s < 0) return -1;
    append(alt, s);
    skip_space(lx);
    if (lx.peek() != '|') break;
    lx.adv();
  }
  return alt;
}

// ---- word-level NFA (Thompson) ------------------------------------------------
struct NfaEdge {
  int32_t to, word, next;  // word -1 = epsilon
};
struct Nfa {
  Vec<int32_t> head;
  Vec<NfaEdge> edges;
};

struct Builder {
  Compiler& c;
  Nfa nfa;
  int32_t state() {
    if (!nfa.head.push(c.bump, -1)) return -1;
    return static_cast<int32_t>(nfa.head.n - 1);
  }
  bool edge(int32_t from, int32_t to, int32_t word) {
    if (!nfa.edges.push(c.bump, NfaEdge{to, word, nfa.head.data[from]})) return false;
    nfa.head.data[from] = static_cast<int32_t>(nfa.edges.n - 1);
    return true;
  }
  // Builds node n between fresh states; returns false on error.
  bool build(int32_t n, int32_t* s, int32_t* e, int depth) {
    if (depth > kMaxDepth * 4) return c.fail(0, 0, "rules nest too deeply");
    if (nfa.head.n > kMaxStates) return c.fail(0, 0, "grammar too large");
    const Node nd = c.nodes.data[n];
    *s = state();
    *e = state();
    if (*s < 0 || *e < 0) return false;
    switch (nd.kind) {
      case kWord: return edge(*s, *e, nd.value);
      case kNull: return edge(*s, *e, -1);
      case kVoid: return true;
      case kSeq: {
        int32_t prev = *s;
        for (int32_t ch = nd.child; ch >= 0; ch = c.nodes.data[ch].next) {
          int32_t a, b;
          if (!build(ch, &a, &b, depth + 1) || !edge(prev, a, -1)) return false;
          prev = b;
        }
        return edge(prev, *e, -1);
      }
      case kAlt:
        for (int32_t ch = nd.child; ch >= 0; ch = c.nodes.data[ch].next) {
          int32_t a, b;
          if (!build(ch, &a, &b, depth + 1) || !edge(*s, a, -1) || !edge(b, *e, -1)) return false;
        }
        return true;
      case kOpt:
      case kStar:
      case kPlus: {
        int32_t a, b;
        if (!build(nd.child, &a, &b, depth + 1) || !edge(*s, a, -1) || !edge(b, *e, -1)) return false;
        if (nd.kind != kPlus && !edge(*s, *e, -1)) return false;
        if (nd.kind != kOpt && !edge(b, a, -1)) return false;
        return true;
      }
      case kRef: {
        Rule& r = c.rules.data[nd.value];
        if (r.mark) return c.fail(r.line, r.col, "recursive rules are not supported: <", r.name);
        r.mark = 1;
        int32_t a, b;
        const bool ok = build(r.body, &a, &b, depth + 1) && edge(*s, a, -1) && edge(b, *e, -1);
        r.mark = 0;
        return ok;
      }
    }
    return false;
  }
};

// ---- subset construction to a word-level DFA -----------------------------------
struct WordMove {
  int32_t word, target;
};

struct Subsets {
  Compiler& c;
  const Nfa& nfa;
  int32_t final_state;
  Vec<int32_t> set_pool;   // concatenated sorted NFA-state sets
  Vec<uint32_t> set_first, set_size;
  Vec<uint8_t> accepting;
  Vec<uint32_t> move_first, move_count;
  Vec<WordMove> moves;
  uint32_t* table = nullptr;  // hash of sets -> DFA index + 1
  uint32_t table_cap = 0;
  uint32_t* stamp = nullptr;
  uint32_t gen = 0;
  int32_t* stack = nullptr;

  uint32_t hash(const int32_t* s, uint32_t n) const {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; ++i) h = (h ^ static_cast<uint32_t>(s[i])) * 16777619u;
    return h;
  }
  bool same(uint32_t d, const int32_t* s, uint32_t n) const {
    return set_size.data[d] == n && std::memcmp(set_pool.data + set_first.data[d], s, n * 4) == 0;
  }
  uint8_t* important = nullptr;  // NFA states with a word edge, and the final state
  // Epsilon closure of `seeds` into `out` (sorted), keeping only the important
  // states: the others have no say in what may follow, so two closures that
  // agree on them are one DFA state. (Without this a word list of n words made
  // n copies of the whole trie, one per word just read.) Returns the size.
  uint32_t closure(const int32_t* seeds, uint32_t ns, int32_t* out) {
    ++gen;
    uint32_t sp = 0, n = 0;
    for (uint32_t i = 0; i < ns; ++i)
      if (stamp[seeds[i]] != gen) { stamp[seeds[i]] = gen; stack[sp++] = seeds[i]; }
    while (sp) {
      const int32_t s = stack[--sp];
      if (important[s]) out[n++] = s;
      for (int32_t e = nfa.head.data[s]; e >= 0; e = nfa.edges.data[e].next) {
        const NfaEdge& ed = nfa.edges.data[e];
        if (ed.word < 0 && stamp[ed.to] != gen) { stamp[ed.to] = gen; stack[sp++] = ed.to; }
      }
    }
    // insertion sort is fine: sets are small
    for (uint32_t i = 1; i < n; ++i)
      for (uint32_t j = i; j > 0 && out[j - 1] > out[j]; --j) { const int32_t t = out[j]; out[j] = out[j - 1]; out[j - 1] = t; }
    return n;
  }
  bool grow_table() {
    const uint32_t nc = table_cap ? table_cap * 2 : 256;
    uint32_t* nt = c.bump.make<uint32_t>(nc);
    if (!nt) return false;
    for (uint32_t d = 0; d < set_first.n; ++d) {
      uint32_t h = hash(set_pool.data + set_first.data[d], set_size.data[d]) & (nc - 1);
      while (nt[h]) h = (h + 1) & (nc - 1);
      nt[h] = d + 1;
    }
    table = nt;
    table_cap = nc;
    return true;
  }
  // Finds or adds the DFA state for set s; returns its index or -1.
  int32_t intern(const int32_t* s, uint32_t n) {
    if ((set_first.n + 1) * 2 > table_cap && !grow_table()) return -1;
    uint32_t h = hash(s, n) & (table_cap - 1);
    while (table[h]) {
      if (same(table[h] - 1, s, n)) return static_cast<int32_t>(table[h] - 1);
      h = (h + 1) & (table_cap - 1);
    }
    if (set_first.n >= 65535) { c.fail(0, 0, "grammar too complex (more than 65535 word states)"); return -1; }
    const uint32_t first = set_pool.n;
    bool acc = false;
    for (uint32_t i = 0; i < n; ++i) {
      if (!set_pool.push(c.bump, s[i])) return -1;
      acc |= s[i] == final_state;
    }
    if (!set_first.push(c.bump, first) || !set_size.push(c.bump, n) || !accepting.push(c.bump, acc ? 1 : 0)) return -1;
    table[h] = set_first.n;
    return static_cast<int32_t>(set_first.n - 1);
  }
  bool run(int32_t start, uint32_t num_words) {
    const uint32_t ns = nfa.head.n;
    stamp = c.bump.make<uint32_t>(ns);
    stack = c.bump.make<int32_t>(ns);
    int32_t* buf = c.bump.make<int32_t>(ns);
    int32_t* seeds = c.bump.make<int32_t>(nfa.edges.n + 1);  // one per word edge at most
    int32_t* word_seen = c.bump.make<int32_t>(num_words);
    important = c.bump.make<uint8_t>(ns);
    if (!stamp || !stack || !buf || !seeds || !word_seen || !important) return false;
    for (uint32_t s = 0; s < ns; ++s) {
      important[s] = static_cast<int32_t>(s) == final_state;
      for (int32_t e = nfa.head.data[s]; e >= 0 && !important[s]; e = nfa.edges.data[e].next)
        important[s] = nfa.edges.data[e].word >= 0;
    }
    uint32_t n = closure(&start, 1, buf);
    if (intern(buf, n) < 0) return false;
    for (uint32_t d = 0; d < set_first.n; ++d) {
      if (!move_first.push(c.bump, moves.n) || !move_count.push(c.bump, 0)) return false;
      // Each distinct word leaving this set, in order of first appearance.
      for (uint32_t i = 0; i < set_size.data[d]; ++i) {
        const int32_t s = set_pool.data[set_first.data[d] + i];
        for (int32_t e = nfa.head.data[s]; e >= 0; e = nfa.edges.data[e].next) {
          const int32_t w = nfa.edges.data[e].word;
          if (w < 0 || word_seen[w] == static_cast<int32_t>(d) + 1) continue;
          word_seen[w] = static_cast<int32_t>(d) + 1;
          uint32_t k = 0;
          for (uint32_t j = 0; j < set_size.data[d]; ++j) {
            const int32_t s2 = set_pool.data[set_first.data[d] + j];
            for (int32_t e2 = nfa.head.data[s2]; e2 >= 0; e2 = nfa.edges.data[e2].next)
              if (nfa.edges.data[e2].word == w) seeds[k++] = nfa.edges.data[e2].to;
          }
          n = closure(seeds, k, buf);
          const int32_t t = intern(buf, n);
          if (t < 0 || !moves.push(c.bump, WordMove{w, t})) return false;
          ++move_count.data[d];
        }
      }
    }
    return true;
  }
};

// ---- character-level expansion ---------------------------------------------------
struct CharEdge {
  uint32_t target;
  uint8_t token;
  int32_t next;
};

}  // namespace

earshot_status Grammar::compile(std::string_view text, GrammarKind kind, const char* vocab, uint32_t vocab_size,
                                void* mem, size_t mem_size, const Grammar** out, size_t* needed, Error& err) {
  *out = nullptr;
  if (needed) *needed = 0;
  if (!mem || !vocab || vocab_size < 2 || vocab_size > 256)
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "grammar: no memory or no vocabulary");
  Bump bump{static_cast<uint8_t*>(mem), mem_size};
  auto* g = static_cast<Grammar*>(bump.raw(sizeof(Grammar)));
  int16_t char_token[256];
  for (auto& t : char_token) t = -1;
  for (uint32_t i = 1; i < vocab_size; ++i) char_token[static_cast<unsigned char>(vocab[i])] = static_cast<int16_t>(i);
  const int16_t space = char_token[static_cast<unsigned char>(' ')];
  if (space < 0) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "grammar: the vocabulary has no space character");

  Compiler c{bump, err, char_token, space, {}, {}, {}, {}, false};
  auto out_of_memory = [&]() {
    // Growth vectors double, so twice what the failed step wanted is a good next try.
    if (needed) *needed = 2 * (bump.needed > mem_size ? bump.needed : mem_size);
    return c.oom();
  };
  if (!g) return out_of_memory();

  // Skip a UTF-8 byte-order mark, then decide the kind.
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
      static_cast<unsigned char>(text[2]) == 0xBF)
    text.remove_prefix(3);
  if (kind == GrammarKind::kAuto) {
    size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) ++i;
    const bool jsgf = text.size() - i >= 5 && text[i] == '#' && lower(text[i + 1]) == 'j' && lower(text[i + 2]) == 's' &&
                      lower(text[i + 3]) == 'g' && lower(text[i + 4]) == 'f';
    kind = jsgf ? GrammarKind::kJsgf : GrammarKind::kPhraseList;
  }

  int32_t root = -1;
  if (kind == GrammarKind::kJsgf) {
    if (!c.parse_jsgf(text)) return bump.ok ? err.status : out_of_memory();
    root = c.node(kAlt);
    for (uint32_t i = 0; root >= 0 && i < c.rules.n; ++i)
      if (c.rules.data[i].is_public) {
        const int32_t ref = c.node(kRef, static_cast<int32_t>(i));
        if (ref < 0) break;
        c.append(root, ref);
      }
  } else {
    root = c.node(kAlt);
    uint32_t line = 1;
    size_t pos = 0;
    while (root >= 0 && pos <= text.size() && !c.failed) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view l = text.substr(pos, end - pos);
      size_t a = 0;
      while (a < l.size() && (l[a] == ' ' || l[a] == '\t' || l[a] == '\r')) ++a;
      if (a < l.size() && l[a] != '#') {
        if (kind == GrammarKind::kWordList) {  // every word of the line is a word of the list
          const int32_t seq = c.phrase(l, line, 1);
          for (int32_t w = seq >= 0 ? c.nodes.data[seq].child : -1; w >= 0;) {
            const int32_t nxt = c.nodes.data[w].next;
            c.nodes.data[w].next = -1;
            c.append(root, w);
            w = nxt;
          }
        } else {
          const int32_t seq = c.phrase(l, line, 1);
          if (seq >= 0) c.append(root, seq);
        }
      }
      pos = end + 1;
      ++line;
    }
    if (!bump.ok) return out_of_memory();
    if (c.failed) return err.status;
    if (root >= 0 && c.nodes.data[root].child < 0) return err.set(EARSHOT_ERR_BAD_GRAMMAR, "grammar: no phrases (empty file?)");
    if (root >= 0 && kind == GrammarKind::kWordList) {
      const int32_t plus = c.node(kPlus);
      if (plus >= 0) { c.append(plus, root); root = plus; }
    }
  }
  if (!bump.ok) return out_of_memory();
  if (c.failed) return err.status;

  // Word NFA -> word DFA.
  Builder b{c, {}};
  int32_t s0, f0;
  if (!b.build(root, &s0, &f0, 0)) return bump.ok ? err.status : out_of_memory();
  Subsets sub{c, b.nfa, f0, {}, {}, {}, {}, {}, {}, {}};
  if (!sub.run(s0, c.words.n)) return bump.ok ? err.status : out_of_memory();

  // Characters: DFA state d's root is char state d; words fan out as tries.
  const uint32_t nd = sub.set_first.n;
  Vec<int32_t> head;
  Vec<uint8_t> acc;
  Vec<CharEdge> cedges;
  for (uint32_t d = 0; d < nd; ++d)
    if (!head.push(bump, -1) || !acc.push(bump, 0)) return out_of_memory();
  for (uint32_t d = 0; d < nd; ++d) {
    for (uint32_t m = 0; m < sub.move_count.data[d]; ++m) {
      const WordMove mv = sub.moves.data[sub.move_first.data[d] + m];
      const WordEntry& w = c.words.data[mv.word];
      uint32_t cur = d;
      for (uint32_t k = 0; k < w.length; ++k) {
        const uint8_t tok = static_cast<uint8_t>(char_token[static_cast<unsigned char>(c.pool.data[w.offset + k])]);
        int32_t e = head.data[cur];
        while (e >= 0 && cedges.data[e].token != tok) e = cedges.data[e].next;
        if (e >= 0) { cur = cedges.data[e].target; continue; }
        if (head.n >= kMaxStates) return err.set(EARSHOT_ERR_BAD_GRAMMAR, "grammar: too large (over 2^20 character states)");
        const uint32_t ns = head.n;
        if (!head.push(bump, -1) || !acc.push(bump, 0) || !cedges.push(bump, CharEdge{ns, tok, head.data[cur]}))
          return out_of_memory();
        head.data[cur] = static_cast<int32_t>(cedges.n - 1);
        cur = ns;
      }
      // End of the word: a space leads to the next word's state; the text may end
      // here if that state accepts.
      if (!cedges.push(bump, CharEdge{static_cast<uint32_t>(mv.target), static_cast<uint8_t>(space), head.data[cur]}))
        return out_of_memory();
      head.data[cur] = static_cast<int32_t>(cedges.n - 1);
      if (sub.accepting.data[mv.target]) acc.data[cur] = 1;
    }
  }
  // Drop dangling spaces: a space into a state with no way on is never allowed.
  // Flatten into sorted arrays at the end of the bump area, then move them down
  // to just after the Grammar header (the construction data is no longer needed).
  const uint32_t nstates = head.n;
  auto* st = bump.make<GrammarState>(nstates);
  auto* ed = bump.make<GrammarEdge>(cedges.n + 1);
  if (!st || !ed) return out_of_memory();
  uint32_t ne = 0;
  for (uint32_t s = 0; s < nstates; ++s) {
    st[s].first_edge = ne;
    st[s].accepting = acc.data[s];
    for (int32_t e = head.data[s]; e >= 0; e = cedges.data[e].next) {
      const CharEdge& ce = cedges.data[e];
      if (ce.token == static_cast<uint8_t>(space) && head.data[ce.target] < 0) continue;
      GrammarEdge g2{};
      g2.token = ce.token;
      g2.target = ce.target;
      uint32_t j = ne++;  // insert sorted by token
      while (j > st[s].first_edge && ed[j - 1].token > g2.token) { ed[j] = ed[j - 1]; --j; }
      ed[j] = g2;
    }
    st[s].num_edges = static_cast<uint16_t>(ne - st[s].first_edge);
  }
  auto* base = reinterpret_cast<uint8_t*>(g) + ((sizeof(Grammar) + 7) & ~size_t{7});
  std::memmove(base, st, nstates * sizeof(GrammarState));
  auto* edges_at = base + ((nstates * sizeof(GrammarState) + 7) & ~size_t{7});
  std::memmove(edges_at, ed, ne * sizeof(GrammarEdge));
  Grammar* gr = new (g) Grammar();
  gr->states_ = reinterpret_cast<const GrammarState*>(base);
  gr->edges_ = reinterpret_cast<const GrammarEdge*>(edges_at);
  gr->num_states_ = nstates;
  gr->num_edges_ = ne;
  if (needed) *needed = static_cast<size_t>(edges_at + ne * sizeof(GrammarEdge) - static_cast<uint8_t*>(mem));
  *out = gr;
  err.clear();
  return EARSHOT_OK;
}

uint32_t Grammar::next(uint32_t state, uint32_t token) const {
  const GrammarState& s = states_[state];
  for (uint32_t i = 0; i < s.num_edges; ++i)
    if (edges_[s.first_edge + i].token == token) return edges_[s.first_edge + i].target;
  return kNoState;
}

bool Grammar::accepts(std::string_view text, const char* vocab, uint32_t vocab_size) const {
  uint32_t s = start();
  for (char ch : text) {
    uint32_t tok = 0;
    for (uint32_t i = 1; i < vocab_size && !tok; ++i)
      if (vocab[i] == ch) tok = i;
    if (!tok) return false;
    s = next(s, tok);
    if (s == kNoState) return false;
  }
  return s != start() && accepting(s);
}

}  // namespace earshot
