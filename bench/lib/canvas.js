'use strict';
// An RGB raster with the two drawing operations a bar chart needs.
const { glyph, GLYPH_WIDTH, GLYPH_HEIGHT } = require('./font');
const { encodePng } = require('./png');

class Canvas {
  constructor(width, height, background = [255, 255, 255]) {
    this.width = width;
    this.height = height;
    this.pixels = Buffer.alloc(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  fillRect(x, y, w, h, [r, g, b]) {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        const i = (py * this.width + px) * 3;
        this.pixels[i] = r;
        this.pixels[i + 1] = g;
        this.pixels[i + 2] = b;
      }
    }
  }

  /** Draws `text` with its top-left corner at (x, y), each font pixel `scale` pixels wide. */
  text(x, y, text, color, scale = 2) {
    [...text].forEach((char, n) => {
      glyph(char).forEach((column, cx) => {
        for (let cy = 0; cy < GLYPH_HEIGHT; cy++) {
          if ((column >> cy) & 1) this.fillRect(x + (n * GLYPH_WIDTH + cx) * scale, y + cy * scale, scale, scale, color);
        }
      });
    });
  }

  static textWidth(text, scale = 2) {
    return text.length * GLYPH_WIDTH * scale;
  }

  toPng() {
    return encodePng(this.width, this.height, this.pixels);
  }
}

module.exports = { Canvas };
