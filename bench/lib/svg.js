'use strict';
// SVG elements as text, one per line so that a changed number is a one-line diff.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text and attribute values as XML: example names and labels come from data. */
function escapeXml(value) {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

// One decimal is finer than a pixel and keeps the coordinates stable between runs.
const coordinate = (value) => (typeof value === 'number' ? String(Math.round(value * 10) / 10) : value);

function attributes(attrs) {
  return Object.entries(attrs).map(([name, value]) => ` ${name}="${escapeXml(coordinate(value))}"`).join('');
}

function rect(attrs) {
  return `<rect${attributes(attrs)}/>`;
}

function text(attrs, content) {
  return `<text${attributes(attrs)}>${escapeXml(content)}</text>`;
}

/** A whole document: `lines` are elements made by rect() and text(). */
function svgDocument({ width, height, title, lines }) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg"${attributes({ width, height, viewBox: `0 0 ${width} ${height}` })} font-family="sans-serif" font-size="14">`,
    `<title>${escapeXml(title)}</title>`,
    rect({ width, height, fill: '#ffffff' }),
    ...lines,
    '</svg>',
    '',
  ].join('\n');
}

module.exports = { escapeXml, rect, text, svgDocument };
