// Text normalisation and error counting for `earshot eval` (WER, CER, alignment).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace earshot::cli {

// Normalisation applied to references and hypotheses alike:
//   1. ASCII letters are lowercased;
//   2. characters of the model's alphabet are kept (for en-small: a-z, space, apostrophe);
//   3. any whitespace, '-', '_' and '/' become a space (word separators);
//   4. every other character (punctuation, digits, non-ASCII) is dropped;
//   5. runs of spaces become one space; leading and trailing spaces go.
// So "Turn ON the kitchen-lights!" -> "turn on the kitchen lights".
std::string normalize_text(const std::string& s, const std::string& alphabet);

std::vector<std::string> split_words(const std::string& s);

enum class Op : char { kCorrect = ' ', kSub = 'S', kIns = 'I', kDel = 'D' };

struct EditCounts {
  size_t ref = 0;  // reference tokens
  size_t sub = 0, ins = 0, del = 0;
  size_t errors() const { return sub + ins + del; }
};

// Minimum edit distance alignment (Levenshtein, unit costs). Among the
// alignments of least cost the one taken prefers, walking back from the end,
// a match or substitution, then a deletion, then an insertion.
struct Alignment {
  EditCounts counts;
  std::vector<Op> ops;                // in order
  std::vector<long> ref_at, hyp_at;   // per op: index into ref / hyp, -1 where none
};
Alignment align(const std::vector<std::string>& ref, const std::vector<std::string>& hyp);
// Character-level counts (spaces count as characters).
EditCounts char_errors(const std::string& ref, const std::string& hyp);

// Three lines, columns aligned, errors in capitals:
//   REF: turn on  the ***** kitchen LIGHTS
//   HYP: turn off the QUICK kitchen ******
//   OPS:      S       I             D
std::string format_alignment(const Alignment& a, const std::vector<std::string>& ref,
                             const std::vector<std::string>& hyp, const std::string& indent);

}  // namespace earshot::cli
