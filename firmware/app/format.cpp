// vsnprintf / snprintf for the firmware, replacing newlib-nano's (linked as
// objects, so they win over libc's archive members).
//
// Why: the library's error messages (lib/common/error.cpp and others) use
// %zu and %llu, which newlib-nano's printf does not know: it printed "zu"
// where a size belonged, on exactly the lines the device reports defects
// with. This one knows the C99 integer conversions: flags - 0 + space #,
// width and precision (also *), lengths hh h l ll z j t, conversions
// d i u o x X c s p %. No floating point: %e %f %g %a consume their double
// and print "?" (nothing in lib/ or firmware/ formats floats). It also
// replaces newlib's stdio formatting machinery (and the malloc it links).
#include <cstdarg>
#include <cstddef>
#include <cstdint>

namespace earshot::fw {
namespace {

struct Out {
  char* buf;
  size_t size;
  size_t n = 0;
  void put(char c) {
    if (n + 1 < size) buf[n] = c;
    ++n;
  }
  void repeat(char c, int count) {
    while (count-- > 0) put(c);
  }
};

struct Spec {
  bool minus = false, zero = false, plus = false, space = false, alt = false;
  int width = 0;
  int precision = -1;  // -1: none
};

void put_number(Out& o, unsigned long long v, bool negative, unsigned base, bool upper, const Spec& s) {
  char digits[24];
  int nd = 0;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (!(v == 0 && s.precision == 0)) {
    do {
      digits[nd++] = set[v % base];
      v /= base;
    } while (v);
  }
  char sign = negative ? '-' : s.plus ? '+' : s.space ? ' ' : '\0';
  const char* prefix = "";
  if (s.alt && base == 16 && nd && !(nd == 1 && digits[0] == '0')) prefix = upper ? "0X" : "0x";
  int zeros = s.precision > nd ? s.precision - nd : 0;
  if (s.alt && base == 8 && zeros == 0 && (nd == 0 || digits[nd - 1] != '0')) zeros = 1;
  int plen = 0;
  while (prefix[plen]) ++plen;
  const int len = (sign ? 1 : 0) + plen + zeros + nd;
  const int pad = s.width > len ? s.width - len : 0;
  if (!s.minus && !(s.zero && s.precision < 0)) o.repeat(' ', pad);
  if (sign) o.put(sign);
  for (const char* p = prefix; *p; ++p) o.put(*p);
  if (!s.minus && s.zero && s.precision < 0) o.repeat('0', pad);
  o.repeat('0', zeros);
  while (nd) o.put(digits[--nd]);
  if (s.minus) o.repeat(' ', pad);
}

void put_string(Out& o, const char* str, const Spec& s) {
  if (!str) str = "(null)";
  int len = 0;
  while (str[len] && (s.precision < 0 || len < s.precision)) ++len;
  const int pad = s.width > len ? s.width - len : 0;
  if (!s.minus) o.repeat(' ', pad);
  for (int i = 0; i < len; ++i) o.put(str[i]);
  if (s.minus) o.repeat(' ', pad);
}

}  // namespace

int format(char* buf, size_t size, const char* fmt, va_list ap) {
  Out o{buf, size};
  for (const char* f = fmt; *f; ++f) {
    if (*f != '%') {
      o.put(*f);
      continue;
    }
    const char* start = f++;
    Spec s;
    for (;; ++f) {
      if (*f == '-') s.minus = true;
      else if (*f == '0') s.zero = true;
      else if (*f == '+') s.plus = true;
      else if (*f == ' ') s.space = true;
      else if (*f == '#') s.alt = true;
      else break;
    }
    if (*f == '*') {
      s.width = va_arg(ap, int);
      if (s.width < 0) {
        s.minus = true;
        s.width = -s.width;
      }
      ++f;
    } else {
      while (*f >= '0' && *f <= '9') s.width = s.width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
      ++f;
      s.precision = 0;
      if (*f == '*') {
        s.precision = va_arg(ap, int);
        if (s.precision < 0) s.precision = -1;
        ++f;
      } else {
        while (*f >= '0' && *f <= '9') s.precision = s.precision * 10 + (*f++ - '0');
      }
    }
    enum { kInt, kChar, kShort, kLong, kLongLong, kSize, kMax, kPtrdiff } len = kInt;
    if (*f == 'h') {
      len = f[1] == 'h' ? kChar : kShort;
      f += len == kChar ? 2 : 1;
    } else if (*f == 'l') {
      len = f[1] == 'l' ? kLongLong : kLong;
      f += len == kLongLong ? 2 : 1;
    } else if (*f == 'z') {
      len = kSize, ++f;
    } else if (*f == 'j') {
      len = kMax, ++f;
    } else if (*f == 't') {
      len = kPtrdiff, ++f;
    } else if (*f == 'L') {
      ++f;  // long double: only for floats, which print "?"
    }
    switch (*f) {
      case 'd':
      case 'i': {
        long long v;
        switch (len) {
          case kChar: v = static_cast<signed char>(va_arg(ap, int)); break;
          case kShort: v = static_cast<short>(va_arg(ap, int)); break;
          case kLong: v = va_arg(ap, long); break;
          case kLongLong: v = va_arg(ap, long long); break;
          case kSize: v = va_arg(ap, ptrdiff_t); break;  // signed size_t
          case kMax: v = va_arg(ap, intmax_t); break;
          case kPtrdiff: v = va_arg(ap, ptrdiff_t); break;
          default: v = va_arg(ap, int); break;
        }
        const unsigned long long mag = v < 0 ? 0ull - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
        put_number(o, mag, v < 0, 10, false, s);
        break;
      }
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        unsigned long long v;
        switch (len) {
          case kChar: v = static_cast<unsigned char>(va_arg(ap, unsigned)); break;
          case kShort: v = static_cast<unsigned short>(va_arg(ap, unsigned)); break;
          case kLong: v = va_arg(ap, unsigned long); break;
          case kLongLong: v = va_arg(ap, unsigned long long); break;
          case kSize: v = va_arg(ap, size_t); break;
          case kMax: v = va_arg(ap, uintmax_t); break;
          case kPtrdiff: v = static_cast<size_t>(va_arg(ap, ptrdiff_t)); break;
          default: v = va_arg(ap, unsigned); break;
        }
        Spec us = s;
        us.plus = us.space = false;  // signed conversions only
        put_number(o, v, false, *f == 'u' ? 10 : *f == 'o' ? 8 : 16, *f == 'X', us);
        break;
      }
      case 'p': {
        Spec p = s;
        p.alt = true;
        put_number(o, reinterpret_cast<uintptr_t>(va_arg(ap, void*)), false, 16, false, p);
        break;
      }
      case 'c': {
        const char c[2] = {static_cast<char>(va_arg(ap, int)), '\0'};
        Spec cs = s;
        cs.precision = 1;
        if (c[0] == '\0') {  // a NUL character still counts as one
          if (!cs.minus) o.repeat(' ', cs.width - 1);
          o.put('\0');
          if (cs.minus) o.repeat(' ', cs.width - 1);
        } else {
          put_string(o, c, cs);
        }
        break;
      }
      case 's': put_string(o, va_arg(ap, const char*), s); break;
      case '%': o.put('%'); break;
      case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
        (void)va_arg(ap, double);
        put_string(o, "?", s);
        break;
      case 'n': (void)va_arg(ap, int*); break;  // not supported: writes nothing
      default:  // unknown: copy the directive as it is
        for (const char* p = start; p <= f && *p; ++p) o.put(*p);
        if (!*f) --f;
        break;
    }
  }
  if (size) buf[o.n < size ? o.n : size - 1] = '\0';
  return static_cast<int>(o.n);
}

}  // namespace earshot::fw

#ifndef EARSHOT_FORMAT_NO_LIBC
extern "C" int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
  return earshot::fw::format(buf, size, fmt, ap);
}

extern "C" int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = earshot::fw::format(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
#endif
