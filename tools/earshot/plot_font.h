// The plot's text: a 5x7 bitmap font (plot_font.cpp), printable ASCII; other
// bytes draw as '?'.
#pragma once

namespace earshot::cli {

inline constexpr int kGlyphWidth = 5, kGlyphHeight = 7;
inline constexpr int kGlyphAdvance = 6;  // pixels from one character to the next (scale 1)

// Whether pixel (x, y) of character c is ink (x right, y down, from the glyph's top left).
bool glyph_pixel(char c, int x, int y);

}  // namespace earshot::cli
