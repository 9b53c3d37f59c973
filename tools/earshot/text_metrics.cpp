#include "text_metrics.h"

#include <algorithm>
#include <cctype>

namespace earshot::cli {

std::string normalize_text(const std::string& s, const std::string& alphabet) {
  std::string out;
  bool space = false;
  for (unsigned char c : s) {
    if (c < 0x80) c = static_cast<unsigned char>(std::tolower(c));
    const bool sep = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '-' ||
                     c == '_' || c == '/';
    if (sep) {
      space = true;
      continue;
    }
    if (c >= 0x80 || alphabet.find(static_cast<char>(c)) == std::string::npos) continue;
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> w;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) w.push_back(s.substr(i, j - i));
    i = j;
  }
  return w;
}

namespace {

// Levenshtein DP over any sequences with operator==; walks back to the ops.
template <typename Seq>
Alignment align_seq(const Seq& ref, const Seq& hyp) {
  const size_t n = ref.size(), m = hyp.size();
  std::vector<size_t> d((n + 1) * (m + 1));
  auto at = [&](size_t i, size_t j) -> size_t& { return d[i * (m + 1) + j]; };
  for (size_t i = 0; i <= n; ++i) at(i, 0) = i;
  for (size_t j = 0; j <= m; ++j) at(0, j) = j;
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j)
      at(i, j) = std::min({at(i - 1, j - 1) + (ref[i - 1] == hyp[j - 1] ? 0 : 1), at(i - 1, j) + 1, at(i, j - 1) + 1});
  Alignment a;
  a.counts.ref = n;
  size_t i = n, j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && at(i, j) == at(i - 1, j - 1) + (ref[i - 1] == hyp[j - 1] ? 0 : 1)) {
      const bool same = ref[i - 1] == hyp[j - 1];
      a.ops.push_back(same ? Op::kCorrect : Op::kSub);
      if (!same) ++a.counts.sub;
      a.ref_at.push_back(static_cast<long>(--i));
      a.hyp_at.push_back(static_cast<long>(--j));
    } else if (i > 0 && at(i, j) == at(i - 1, j) + 1) {
      a.ops.push_back(Op::kDel);
      ++a.counts.del;
      a.ref_at.push_back(static_cast<long>(--i));
      a.hyp_at.push_back(-1);
    } else {
      a.ops.push_back(Op::kIns);
      ++a.counts.ins;
      a.ref_at.push_back(-1);
      a.hyp_at.push_back(static_cast<long>(--j));
    }
  }
  std::reverse(a.ops.begin(), a.ops.end());
  std::reverse(a.ref_at.begin(), a.ref_at.end());
  std::reverse(a.hyp_at.begin(), a.hyp_at.end());
  return a;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Alignment align(const std::vector<std::string>& ref, const std::vector<std::string>& hyp) { return align_seq(ref, hyp); }

EditCounts char_errors(const std::string& ref, const std::string& hyp) { return align_seq(ref, hyp).counts; }

std::string format_alignment(const Alignment& a, const std::vector<std::string>& ref,
                             const std::vector<std::string>& hyp, const std::string& indent) {
  std::string r = indent + "REF:", h = indent + "HYP:", o = indent + "OPS:";
  for (size_t k = 0; k < a.ops.size(); ++k) {
    const Op op = a.ops[k];
    std::string rw = a.ref_at[k] >= 0 ? ref[static_cast<size_t>(a.ref_at[k])] : "";
    std::string hw = a.hyp_at[k] >= 0 ? hyp[static_cast<size_t>(a.hyp_at[k])] : "";
    if (op != Op::kCorrect) rw = upper(rw), hw = upper(hw);
    const size_t w = std::max({rw.size(), hw.size(), size_t{1}});
    if (op == Op::kIns) rw.assign(w, '*');
    if (op == Op::kDel) hw.assign(w, '*');
    rw.resize(w, ' ');
    hw.resize(w, ' ');
    std::string mark(w, ' ');
    mark[0] = static_cast<char>(op);
    r += " " + rw;
    h += " " + hw;
    o += " " + mark;
  }
  auto rstrip = [](std::string& s) { s.erase(s.find_last_not_of(' ') + 1); };
  rstrip(r), rstrip(h), rstrip(o);
  return r + "\n" + h + "\n" + o + "\n";
}

}  // namespace earshot::cli
