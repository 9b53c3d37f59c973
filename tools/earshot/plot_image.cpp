#include "plot_image.h"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "plot_font.h"

namespace earshot::cli {

Rgb heat_colour(double v) {
  static const double stops[][3] = {{0, 0, 4},      {40, 11, 84},   {101, 21, 110}, {159, 42, 99},
                                    {212, 72, 66},  {245, 125, 21}, {250, 193, 39}, {252, 255, 164}};
  constexpr int n = sizeof stops / sizeof stops[0];
  v = std::clamp(std::isfinite(v) ? v : 0.0, 0.0, 1.0) * (n - 1);
  const int i = std::min(static_cast<int>(v), n - 2);
  const double f = v - i;
  auto mix = [&](int k) { return static_cast<uint8_t>(std::lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]))); };
  return {mix(0), mix(1), mix(2)};
}

Image::Image(int width, int height, Rgb bg) : w_(width), h_(height), px_(static_cast<size_t>(width) * height * 3) {
  for (size_t i = 0; i < px_.size(); i += 3) {
    px_[i] = bg.r;
    px_[i + 1] = bg.g;
    px_[i + 2] = bg.b;
  }
}

void Image::set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
  uint8_t* p = &px_[(static_cast<size_t>(y) * w_ + x) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

Rgb Image::get(int x, int y) const {
  if (x < 0 || y < 0 || x >= w_ || y >= h_) return {};
  const uint8_t* p = &px_[(static_cast<size_t>(y) * w_ + x) * 3];
  return {p[0], p[1], p[2]};
}

void Image::blend(int x, int y, Rgb c, double a) {
  if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
  const Rgb o = get(x, y);
  auto mix = [a](uint8_t from, uint8_t to) { return static_cast<uint8_t>(std::lround(from + a * (to - from))); };
  set(x, y, {mix(o.r, c.r), mix(o.g, c.g), mix(o.b, c.b)});
}

void Image::fill(int x0, int y0, int x1, int y1, Rgb c, double alpha) {
  for (int y = std::max(0, y0); y < std::min(h_, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(w_, x1); ++x) alpha >= 1.0 ? set(x, y, c) : blend(x, y, c, alpha);
}

void Image::frame(int x0, int y0, int x1, int y1, Rgb c) {
  line(x0, y0, x1 - 1, y0, c);
  line(x0, y1 - 1, x1 - 1, y1 - 1, c);
  line(x0, y0, x0, y1 - 1, c);
  line(x1 - 1, y0, x1 - 1, y1 - 1, c);
}

void Image::line(int x0, int y0, int x1, int y1, Rgb c) {
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  for (;;) {
    set(x0, y0, c);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void Image::text(int x, int y, const std::string& s, Rgb c, int scale) {
  for (char ch : s) {
    for (int gy = 0; gy < kGlyphHeight; ++gy)
      for (int gx = 0; gx < kGlyphWidth; ++gx)
        if (glyph_pixel(ch, gx, gy)) fill(x + gx * scale, y + gy * scale, x + (gx + 1) * scale, y + (gy + 1) * scale, c);
    x += kGlyphAdvance * scale;
  }
}

int Image::text_width(const std::string& s, int scale) {
  return s.empty() ? 0 : (static_cast<int>(s.size()) * kGlyphAdvance - 1) * scale;
}

int Image::text_height(int scale) { return kGlyphHeight * scale; }

bool Image::write_png(const std::string& path, std::string& why) const {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return why = "cannot write " + path + ": " + std::strerror(errno), false;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, nullptr);
    std::fclose(f);
    return why = "cannot write " + path + ": libpng could not start", false;
  }
  std::vector<png_bytep> rows(h_);
  for (int y = 0; y < h_; ++y) rows[y] = const_cast<png_bytep>(&px_[static_cast<size_t>(y) * w_ * 3]);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    std::remove(path.c_str());
    return why = "cannot write " + path + ": libpng failed", false;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(w_), static_cast<png_uint_32>(h_), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  const bool ok = std::fflush(f) == 0 && !std::ferror(f);
  const int e = errno;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(path.c_str());
    return why = "cannot write " + path + ": " + std::strerror(e ? e : EIO), false;
  }
  return true;
}

}  // namespace earshot::cli
