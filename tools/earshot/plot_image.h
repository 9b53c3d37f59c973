// A small RGB canvas for `earshot plot`: rectangles, lines, blending, text in
// the project's bitmap font (plot_font.h), a colour map, and PNG output via
// libpng.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace earshot::cli {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

// Perceptual dark-to-bright map for v in [0, 1] (clamped): black, purple,
// red, orange, pale yellow (a "magma"-like ramp from a few anchor colours).
Rgb heat_colour(double v);

class Image {
 public:
  Image(int width, int height, Rgb background);
  int width() const { return w_; }
  int height() const { return h_; }

  // Drawing clips to the canvas. Rectangles are [x0, x1) x [y0, y1).
  void set(int x, int y, Rgb c);
  Rgb get(int x, int y) const;
  void blend(int x, int y, Rgb c, double alpha);  // alpha in [0, 1]
  void fill(int x0, int y0, int x1, int y1, Rgb c, double alpha = 1.0);
  void frame(int x0, int y0, int x1, int y1, Rgb c);  // 1-pixel outline
  void line(int x0, int y0, int x1, int y1, Rgb c);
  // Text with its top-left corner at (x, y); scale >= 1 multiplies the 5x7 glyphs.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1);
  static int text_width(const std::string& s, int scale = 1);
  static int text_height(int scale = 1);

  // 8-bit RGB PNG. False with `why` (one line naming the file) on failure.
  bool write_png(const std::string& path, std::string& why) const;

 private:
  int w_, h_;
  std::vector<uint8_t> px_;  // RGB, row-major
};

}  // namespace earshot::cli
